import ArgumentParser
import DF11Kit

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List the tensors of df11 containers, a DFloat11 model or a safetensors checkpoint.",
        discussion: """
        Reads only headers and footer indexes: instant, whatever the size. For each tensor: name, dtype, shape, \
        size, stored size and its share, and the file that holds it; then the total. A DFloat11 model's weights \
        are named as 'df11 decompress' names them, each with its share of its unit's bytes.

        Examples:
          df11 ls model.df11/
          df11 ls Llama-3.1-8B-DF11/
          df11 ls model.safetensors --json | jq '.tensors[].name'
        """)

    @Argument(help: "Container, container directory, DFloat11 model directory, or safetensors file or directory.")
    var input: String

    @OptionGroup var common: CommonOptions

    func run() throws {
        try finish([Printer(common).perform { try DF11.list(path: input) }])
    }
}
