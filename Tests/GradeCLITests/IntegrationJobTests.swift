import Foundation
import Testing
import Grader

/// The job definitions of Integrations/: read (with `WorkflowYAML`, the reading of
/// ActionsWorkflowTests) and checked key by key — the shard index wired to `--shard`, the shard
/// count the same everywhere, the key from a secret, the merge after the shards — and the Slurm
/// scripts run as Slurm runs them.
@Suite("Sharded grading on Kubernetes, Slurm and GitHub Actions", .serialized)
struct IntegrationJobTests {
  static let folder = GradeBinary.packageRoot.appendingPathComponent("Integrations")

  static func read(_ path: String) throws -> String { try String(contentsOf: folder.appendingPathComponent(path), encoding: .utf8) }
  static func yaml(_ path: String) throws -> WorkflowYAML { try WorkflowYAML.parse(try read(path)) }

  /// N of the `--shard auto/N` or `i/N` among `words`.
  static func shardCount(_ words: [String]) -> String? {
    guard let k = words.firstIndex(of: "--shard"), k + 1 < words.count else { return nil }
    return words[k + 1].split(separator: "/").last.map(String.init)
  }

  @Test("the Kubernetes Indexed Job: completions = N of --shard auto/N, the index names the folder, the key from a Secret, then the merge")
  func kubernetes() throws {
    let job = try Self.yaml("kubernetes/grade-shards.yaml")
    #expect(job["apiVersion"]?.string == "batch/v1" && job["kind"]?.string == "Job")
    let spec = try #require(job["spec"])
    #expect(spec["completionMode"]?.string == "Indexed")
    let completions = try #require(spec["completions"]?.string)
    let pod = try #require(spec["template"]?["spec"])
    #expect(pod["restartPolicy"]?.string == "Never")
    let container = try #require(pod["containers"]?.items.first)
    let args = container["args"]?.items.compactMap(\.string) ?? []
    #expect(Array(args.prefix(2)) == ["batch", "rnn-bptt"])
    #expect(args.contains("--shard") && Self.shardCount(args) == completions && args.contains("auto/\(completions)"), "\(args)")
    #expect(args.contains("--no-timing"))
    // The index: JOB_COMPLETION_INDEX for grade, and a copy from the same annotation for the folder.
    let env = container["env"]?.items ?? []
    let index = try #require(env.first { $0["name"]?.string == "SHARD_INDEX" })
    #expect(index["valueFrom"]?["fieldRef"]?["fieldPath"]?.string == "metadata.annotations['batch.kubernetes.io/job-completion-index']")
    let out = try #require(args.firstIndex(of: "--out").map { args[$0 + 1] })
    #expect(out.hasSuffix("shard-$(SHARD_INDEX)"), "\(out)")
    // The key: a file of the Secret's volume, readable by its owner only.
    let keyFile = try #require(args.firstIndex(of: "--key-file").map { args[$0 + 1] })
    let mounts = container["volumeMounts"]?.items ?? []
    let keyMount = try #require(mounts.first { keyFile.hasPrefix(($0["mountPath"]?.string ?? "?") + "/") })
    #expect(keyMount["readOnly"]?.string == "true")
    let volumes = pod["volumes"]?.items ?? []
    let keyVolume = try #require(volumes.first { $0["name"]?.string == keyMount["name"]?.string })
    #expect(keyVolume["secret"]?["secretName"]?.string == "course-key" && keyVolume["secret"]?["defaultMode"]?.string == "0400")
    #expect(!(try Self.read("kubernetes/grade-shards.yaml")).contains("course.key:"), "no key in the file")
    // The submissions are mounted read-only.
    let submissions = try #require(mounts.first { $0["mountPath"]?.string == args[2] })
    #expect(submissions["readOnly"]?.string == "true")

    let merge = try Self.yaml("kubernetes/grade-merge.yaml")
    #expect(merge["kind"]?.string == "Job")
    let command = try #require(merge["spec"]?["template"]?["spec"]?["containers"]?.items.first?["command"]?.items.compactMap(\.string).last)
    let shardsGlob = out.replacingOccurrences(of: "$(SHARD_INDEX)", with: "*")
    #expect(command.hasPrefix("grade merge \(shardsGlob) --out "), "\(command)")
    #expect(!command.contains("--key-file"), "the merge grades nothing")
  }

  @Test("the image: the official Swift image with bubblewrap, python3 and NumPy, and the built grade")
  func dockerfile() throws {
    let lines = try Self.read("kubernetes/Dockerfile").split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") }
    #expect(lines.first { $0.hasPrefix("FROM ") }?.hasPrefix("FROM swift:") == true)
    let text = lines.joined(separator: "\n")
    for package in ["bubblewrap", "python3", "python3-numpy"] { #expect(text.contains(" \(package)"), "\(package)") }
    #expect(text.contains("swift build -c release --product grade") && text.contains("/usr/local/bin/grade"))
    #expect(text.contains("JACOBIANS_PORTABLE=1"), "the image runs on any node")
    #expect(!text.lowercased().contains("course.key"), "no key in the image")
  }

  @Test("the GitHub Actions class workflow: a matrix over every shard, the key from a secret, a merge job after them")
  func actions() throws {
    let w = try Self.yaml("github-actions/grade-class.yml")
    #expect(w["on"]?.keys == ["workflow_dispatch"], "run by the staff, never on a student's push")
    let shards = try #require(w["env"]?["SHARDS"]?.string.flatMap { Int($0) })
    let job = try #require(w["jobs"]?["shard"])
    let matrix = job["strategy"]?["matrix"]?["shard"]?.items.compactMap(\.string) ?? []
    #expect(matrix == (0..<shards).map(String.init))
    #expect(job["strategy"]?["fail-fast"]?.string == "false")
    let steps = job["steps"]?.items ?? []
    func step(_ name: String, in steps: [WorkflowYAML]) throws -> WorkflowYAML { try #require(steps.first { $0["name"]?.string == name }, "\(name)") }
    let key = try step("Write the course key", in: steps)
    #expect(key["env"]?["COURSE_KEY"]?.string == "${{ secrets.COURSE_KEY }}")
    #expect(key["run"]?.string?.contains("umask 077") == true)
    let grade = try #require(try step("Grade the shard", in: steps)["run"]?.string)
    #expect(grade.contains("--shard \"${{ matrix.shard }}/$SHARDS\"") && grade.contains("--key-file \"$RUNNER_TEMP/course.key\""), "\(grade)")
    #expect(grade.contains("--out \"shard-${{ matrix.shard }}\""))
    #expect(try step("Remove the course key", in: steps)["if"]?.string == "always()")
    #expect(try step("Upload the shard", in: steps)["with"]?["name"]?.string == "shard-${{ matrix.shard }}")
    let names = steps.compactMap { $0["name"]?.string }
    #expect(names.firstIndex(of: "Write the course key")! < names.firstIndex(of: "Grade the shard")!)

    let merge = try #require(w["jobs"]?["merge"])
    #expect(merge["needs"]?.string == "shard")
    let mergeSteps = merge["steps"]?.items ?? []
    #expect(try step("Download the shards", in: mergeSteps)["with"]?["pattern"]?.string == "shard-*")
    let run = try #require(try step("Merge", in: mergeSteps)["run"]?.string)
    #expect(run.contains("grade merge shards/shard-* --out graded"))
    #expect(!(try Self.read("github-actions/grade-class.yml")).contains("--self-check"))
  }

  @Test("the Slurm array, run as Slurm runs it for every task, then the merge: the gradebook of one unsharded batch")
  func slurm() throws {
    let script = try Self.read("slurm/grade-shards.sbatch")
    let directives = script.split(separator: "\n").filter { $0.hasPrefix("#SBATCH ") }.map { String($0.dropFirst(8)) }
    #expect(directives.contains("--array=0-63"), "\(directives)")
    #expect(script.contains("--shard \"auto/$SHARDS\""))
    #expect(try Self.read("slurm/grade-merge.sbatch").contains("merge \"$OUT\"/shard-* --out"))

    let c = try ShardBatchTests.theClass.get()
    let g = try ShardBatchTests.graded.get()
    let root = temporaryDirectory()
    let out = root.appendingPathComponent("shards")
    func sbatch(_ file: String, _ env: [String: String]) throws -> Int32 {
      let p = Process()
      p.executableURL = URL(fileURLWithPath: "/bin/bash")
      p.arguments = [Self.folder.appendingPathComponent("slurm/\(file)").path]
      var e = ["PATH": "/usr/bin:/bin", "HOME": root.path, "SUBMISSIONS": c.submissions.path, "OUT": out.path, "MERGED": root.appendingPathComponent("graded").path,
               "GRADE_COURSE_KEY_FILE": GradeBinary.keyFile.path, "GRADE": GradeBinary.url.path, "NO_COLOR": "1"]
      for (k, v) in env { e[k] = v }
      p.environment = e
      p.standardOutput = FileHandle.nullDevice
      p.standardError = FileHandle.nullDevice
      try p.run()
      p.waitUntilExit()
      return p.terminationStatus
    }
    // sbatch --array=1-7: task ids 1…7, shards 0…6.
    for id in 1...7 {
      #expect(try sbatch("grade-shards.sbatch", ["SLURM_ARRAY_TASK_ID": "\(id)", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "7", "SLURM_CPUS_PER_TASK": "2"]) == 0)
      #expect(try BatchManifest.read(out.appendingPathComponent("shard-\(id - 1)")).shard == BatchManifest.Shard(index: id - 1, count: 7))
    }
    #expect(try sbatch("grade-shards.sbatch", [:]) != 0, "outside an array it stops, saying why")
    #expect(try sbatch("grade-merge.sbatch", [:]) == 0)
    #expect(try ShardClass.classFiles(root.appendingPathComponent("graded")) == ShardClass.classFiles(g.one))
  }
}
