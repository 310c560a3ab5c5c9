import Foundation
import Grader

/// `grade merge`: joins the folders of a sharded batch into one batch folder.
enum MergeCommand {
  static var subcommand: GradeCommand.Subcommand {
    GradeCommand.Subcommand(
      name: "merge", abstract: "Join the shards of a batch into one gradebook.",
      usage: "grade merge <shard-dir> <shard-dir>… --out <dir> [--submissions <dir>] [--assignments <dir>]",
      help: """
        Joins the --out folders of 'grade batch … --shard i/N' (one per shard, i = 0 … N−1) into
        one folder holding exactly what one unsharded batch writes, byte for byte: gradebook.csv,
        summary.md, summary.json, feedback/, results/, logs/ and batch.json. Nothing is graded
        again.

        Refused, with the shards and students named: a shard given twice or a student in two
        shards, a shard missing, a shard whose batch did not finish (its students without a
        result), shards graded with different assignments, rubrics (by SHA-256), graders,
        modes or shard counts, and an assignment changed since.

        OPTIONS:
          --out <dir>           where to write (required)
          --submissions <dir>   the submissions folder, to name the students of a missing
                                shard (default: the folder batch.json names, when readable)

        EXIT CODES: 0 merged, 64 usage error, 65 the shards cannot be merged (why is printed),
        75 the merge could not write (a full disk, an I/O error).

        EXAMPLE:
          grade merge shards/shard-0 shards/shard-1 shards/shard-2 --out graded/
          grade merge shards/* --out graded/
        """,
      options: GradeCommand.globalOptions + ["--out", "--submissions"], flags: [], run: run)
  }

  static func run(_ args: Arguments) throws -> Int32 {
    guard !args.positional.isEmpty else { throw UsageError("Missing expected argument '<shard-dir>'") }
    guard let outPath = args.option("--out") else { throw UsageError("Missing expected argument '--out <dir>'") }
    let out = URL(fileURLWithPath: outPath).standardizedFileURL
    let shards = args.positional.map { URL(fileURLWithPath: $0).standardizedFileURL }
    let outcome: ShardMerge.Outcome
    do {
      outcome = try ShardMerge.merge(
        shards, into: out, catalog: Commands.catalog(args),
        submissions: args.option("--submissions").map { URL(fileURLWithPath: $0).standardizedFileURL })
    } catch let error as ShardMergeError {
      args.console.error("Error: \(error)")
      return GradeCommand.ExitCode.dataError
    }
    let s = outcome.summary
    args.console.print("""
      Merged \(outcome.shards) shard\(outcome.shards == 1 ? "" : "s") of \(outcome.manifest.assignment): \(outcome.reports.count) students.
      Mean score \(BatchSummary.decimal(s.meanScore))/\(ItemResult.points(s.maxScore)), median \(BatchSummary.decimal(s.medianScore)); \(s.fullMarks) with full marks.
      Wrote \(out.appendingPathComponent("gradebook.csv").path), summary.md, and feedback/ (Markdown and HTML) in \(out.path).
      """)
    return GradeCommand.ExitCode.success
  }
}
