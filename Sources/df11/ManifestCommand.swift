import ArgumentParser
import DF11Kit

struct ManifestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifest",
        abstract: "Prove a DFloat11 release lossless against its source, then write its df11-manifest.json.",
        discussion: """
        Decodes every unit of the DFloat11 model DIR and compares every weight and every other tensor with \
        the bf16 checkpoint SRC (as 'df11 verify DIR --against SRC'); only then writes DIR/df11-manifest.json: \
        every tensor's name, dtype, shape and XXH3-64, the source files' XXH3-64, the tied weights and the df11 \
        version (docs/DFLOAT11.md). From then on 'df11 verify DIR' proves the release lossless without the \
        source. The official loader ignores the file; no other file is touched. 'df11 compress --format \
        dfloat11' writes the manifest itself.

        Exit status: 0 written; 1 the release differs from SRC (nothing written); 2 could not run (an \
        existing manifest without --force, unreadable inputs).

        Example:
          df11 manifest Llama-3.1-8B-DF11/ --against Llama-3.1-8B/
        """)

    @Argument(help: ArgumentHelp("A DFloat11 model directory.", valueName: "dir"))
    var release: String

    @Option(name: .long, help: "The original bf16 checkpoint (file or directory) the release was made from.")
    var against: String

    @Flag(name: .shortAndLong, help: "Replace an existing df11-manifest.json.")
    var force = false

    @OptionGroup var common: CommonOptions

    func run() throws {
        let printer = Printer(common)
        try finish([printer.perform(input: release) {
            try DF11.manifest(ManifestRequest(release: release, against: against), options: common.runOptions(force: force))
        }])
    }
}
