import ArgumentParser
import DF11Kit

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List the tensors in a container or container directory.",
        discussion: "Reads only headers and footer indexes: instant, whatever the size.")

    @Argument(help: "Container or container directory.")
    var input: String

    @Flag(name: .long, help: "Print JSON (schema df11.ls/1).")
    var json = false

    func run() throws {
        try perform(json: json) { try DF11.list(path: input) }
    }
}
