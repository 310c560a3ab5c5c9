import Foundation
import Grader

/// Runs the built `grade` executable and captures what it prints.
struct GradeBinary {
  struct Output {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  /// The `grade` binary next to the test bundle (the test target depends on it, so it is built).
  static var url: URL {
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
      let candidate = dir.appendingPathComponent("grade")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
      dir = dir.deletingLastPathComponent()
    }
    return Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("grade")
  }

  static let packageRoot = AssignmentCatalog.packageRoot

  @discardableResult
  static func run(_ arguments: [String], environment: [String: String] = [:], currentDirectory: URL? = nil) throws -> Output {
    let process = Process()
    process.executableURL = url
    process.arguments = arguments
    process.currentDirectoryURL = currentDirectory ?? packageRoot
    var env = ProcessInfo.processInfo.environment
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = nil   // output to a pipe is not wrapped unless a test sets COLUMNS
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
  }

  /// A course key for the tests, made once by `grade key new --out` (readable by its owner only).
  static let keyFile: URL = {
    let url = temporaryDirectory().appendingPathComponent("course.key")
    let made = try? run(["key", "new", "--out", url.path])
    precondition(made?.status == 0, "grade key new failed: \(made?.stderr ?? "")")
    return url
  }()

  /// True when `python3 -c "import numpy"` works.
  static let hasNumPy: Bool = {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", "import numpy"]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    do { try p.run() } catch { return false }
    p.waitUntilExit()
    return p.terminationStatus == 0
  }()

  static func python(_ arguments: [String]) throws -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3"] + arguments
    try p.run()
    p.waitUntilExit()
    return p.terminationStatus
  }
}

func temporaryDirectory() -> URL {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent("grade-cli-\(UUID().uuidString)")
  try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}
