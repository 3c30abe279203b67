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

    @OptionGroup var common: CommonOptions

    func run() throws {
        try finish([Printer(common).perform { DF11.architectures() }])
    }
}
