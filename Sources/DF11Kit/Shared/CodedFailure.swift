import JSON
import DF11Container
import DF11IO
import DFloat11Layout
import Safetensors

/// A failure with a stable, machine-readable code (kebab-case) for `--json` error objects.
public protocol CodedFailure: DF11Failure {
    var code: String { get }
}

extension ContainerError: CodedFailure {}
extension SafetensorsError: CodedFailure {}
extension CheckpointError: CodedFailure {}
extension DFloat11LayoutError: CodedFailure {}

/// The JSON object printed for a failure under `--json`:
/// `{"status":"error","code":"…","category":"bad-data"|"could-not-run","message":"…"}`.
public func failureJSON(_ error: Error) -> String {
    let failure = error as? DF11Failure
    let code = (error as? CodedFailure)?.code ?? (failure?.category == .badData ? "bad-data" : "could-not-run")
    let category = failure?.category == .badData ? "bad-data" : "could-not-run"
    let message = failure?.description ?? "\(error)"
    return JSONValue.object([
        "status": .string("error"), "code": .string(code), "category": .string(category),
        "message": .string(message),
    ]).text
}
