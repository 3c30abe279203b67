import ArgumentParser
import DF11Kit

@main
struct DF11Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "df11",
        abstract: "Convert bf16 checkpoints to DFloat11 and back, losslessly.",
        version: "0.1.0"
    )
}
