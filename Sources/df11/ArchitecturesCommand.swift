import ArgumentParser
import DF11Kit

struct ArchitecturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "architectures",
        abstract: "List the model families `compress --format dfloat11` knows, with their pattern dictionaries.",
        discussion: """
        A preset is chosen from the checkpoint's config.json (architectures, then model_type); \
        --arch NAME picks one by name or alias, --pattern FILE gives a JSON {regex: [attributes]} instead.
        """)

    @Flag(name: .long, help: "Print the presets as JSON (schema df11.architectures/1).")
    var json = false

    func run() throws {
        try perform(json: json) { DF11.architectures() }
    }
}
