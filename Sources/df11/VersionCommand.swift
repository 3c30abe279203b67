import ArgumentParser
import DF11Kit

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print df11's version (as df11 --version and df11 -V do).")

    func run() throws {
        print(DF11.version)
    }
}
