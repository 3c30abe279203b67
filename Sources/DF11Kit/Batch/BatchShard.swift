/// A task's share of a batch: shard `index` (1-based) of `count`, and where that came from.
public struct BatchShard: Sendable, Equatable {
    public var index: Int
    public var count: Int
    /// `--shard`, or the environment variables it was read from (`SLURM_ARRAY_TASK_ID=2 …`).
    public var source: String

    public init(index: Int, count: Int, source: String) {
        self.index = index
        self.count = count
        self.source = source
    }

    public var text: String { "\(index)/\(count)" }

    /// `K/N` with 1 ≤ K ≤ N.
    public static func parse(_ text: String) throws -> BatchShard {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, k >= 1, k <= n else {
            throw UsageError("--shard takes K/N with 1 ≤ K ≤ N (for example 2/8), not '\(text)'")
        }
        return BatchShard(index: k, count: n, source: "--shard \(text)")
    }

    /// The share a scheduler gives this task, with no `--shard`: a Slurm job array's `SLURM_ARRAY_TASK_ID`
    /// (counted from `SLURM_ARRAY_TASK_MIN`, out of `SLURM_ARRAY_TASK_MAX − MIN + 1` or `SLURM_ARRAY_TASK_COUNT`),
    /// or a Kubernetes Indexed Job's `JOB_COMPLETION_INDEX` (from 0, out of `shards` or `DF11_SHARDS`). Nil when
    /// neither is set: the whole batch.
    public static func fromEnvironment(_ environment: [String: String], shards: Int?) throws -> BatchShard? {
        func number(_ name: String) throws -> Int? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let value = Int(text), value >= 0 else { throw UsageError("\(name)=\(text) is not a whole number") }
            return value
        }
        let declared = try shards ?? number("DF11_SHARDS")
        if let id = try number("SLURM_ARRAY_TASK_ID") {
            let minimum = try number("SLURM_ARRAY_TASK_MIN") ?? 0
            let count: Int
            if let maximum = try number("SLURM_ARRAY_TASK_MAX") {
                count = maximum - minimum + 1
            } else if let given = try number("SLURM_ARRAY_TASK_COUNT") ?? declared {
                count = given
            } else {
                throw UsageError("SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_MAX nor SLURM_ARRAY_TASK_COUNT: "
                                 + "give --shards N or --shard K/N")
            }
            if let declared, declared != count {
                throw UsageError("the job array has \(count) tasks but --shards/DF11_SHARDS says \(declared)")
            }
            guard id >= minimum, id - minimum < count else {
                throw UsageError("SLURM_ARRAY_TASK_ID=\(id) is outside the array \(minimum)…\(minimum + count - 1) "
                                 + "(array steps are not supported: use --array=0-N)")
            }
            return BatchShard(index: id - minimum + 1, count: count,
                              source: "SLURM_ARRAY_TASK_ID=\(id) of \(minimum)…\(minimum + count - 1)")
        }
        if let index = try number("JOB_COMPLETION_INDEX") {
            guard let count = declared else {
                throw UsageError("JOB_COMPLETION_INDEX is set but the number of completions is not: give --shards N "
                                 + "or DF11_SHARDS=N (Kubernetes does not pass it)")
            }
            guard index < count else {
                throw UsageError("JOB_COMPLETION_INDEX=\(index) is not below the \(count) shards")
            }
            return BatchShard(index: index + 1, count: count, source: "JOB_COMPLETION_INDEX=\(index) of \(count)")
        }
        if let declared, declared > 1 {
            throw UsageError("--shards/DF11_SHARDS=\(declared) but no SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX says "
                             + "which shard this task is: give --shard K/N")
        }
        return nil
    }

    /// The shard (0-based) of every item: the largest first, each to the shard with the fewest bytes so far (the
    /// lowest index on a tie). Depends only on the items' names and sizes, so every task computes the same split.
    public static func assign(_ items: [BatchItem], count: Int) -> [Int] {
        let order = items.indices.sorted {
            let (a, b) = (items[$0], items[$1])
            if a.bytes != b.bytes { return a.bytes > b.bytes }
            return a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
        }
        var loads = [UInt64](repeating: 0, count: count)
        var items_ = [Int](repeating: 0, count: count)
        var result = [Int](repeating: 0, count: items.count)
        for i in order {
            var best = 0
            for s in 1..<max(count, 1) where (loads[s], items_[s]) < (loads[best], items_[best]) { best = s }
            result[i] = best
            loads[best] += items[i].bytes
            items_[best] += 1
        }
        return result
    }

    /// The items of this shard, in their order.
    public func select(_ items: [BatchItem]) -> [BatchItem] {
        let shards = Self.assign(items, count: count)
        return items.indices.filter { shards[$0] == index - 1 }.map { items[$0] }
    }
}
