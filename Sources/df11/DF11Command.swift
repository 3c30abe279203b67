import ArgumentParser

@main
struct DF11Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "df11",
        abstract: "Convert bf16 checkpoints to DFloat11 and back, losslessly, on any CPU.",
        discussion: """
        BF16 weights spend 8 bits on an exponent that carries about 2.6 bits of information. df11 keeps \
        each weight's sign and mantissa byte raw and Huffman-codes the exponent, so a checkpoint shrinks to \
        about 68–70 % of its size and decodes back bit for bit.

        Inputs are safetensors files, sharded checkpoint directories (with model.safetensors.index.json), \
        Hugging Face cache snapshots, or '-' for standard input.

        Typical use:
          df11 inspect model/                      how much would it shrink?
          df11 compress model/ -o model.df11/      one container per shard, other files copied
          df11 verify model.df11/                  decode everything, check every checksum
          df11 decompress model.df11/ -o restored/ the original files, byte for byte
          cat x.safetensors | df11 compress - -o - | df11 decompress - -o - | cmp - x.safetensors

        Exit status: 0 success, 1 bad data or a failed check, 2 could not run (missing file, disk full, \
        bad arguments).
        """,
        version: "0.1.0",
        subcommands: [InspectCommand.self, CompressCommand.self, DecompressCommand.self, VerifyCommand.self,
                      ListCommand.self, CatCommand.self, ArchitecturesCommand.self]
    )
}
