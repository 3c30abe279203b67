extension DF11 {
    /// `df11 inspect PATH`: a DFloat11 model is summarised by its units (`DFloat11InspectReport`), any other
    /// checkpoint (file, directory, cache snapshot, `-`) tensor by tensor (`InspectReport`).
    public static func inspect(path: String, lengthLimit: Int = 12, options: RunOptions) throws -> any OperationReport {
        if DFloat11Model.isDFloat11Directory(path) {
            return try DFloat11Inspection.inspect(directory: path)
        }
        return try Inspection.run(path: path, options: options, lengthLimit: lengthLimit)
    }
}
