import Foundation
import Testing
import Jacobians
@testable import Grader

/// Shared setup of the Python submission tests: whether python3 with NumPy is here, temporary
/// submissions, and prepared submissions reused across tests.
enum PythonModuleFixtures {
  static let pythonAvailable = (try? PythonInterpreter.located()) != nil
  static let pythonMissingMessage: Comment = "python3 with NumPy is not available, so Python submissions cannot run here"
  /// Both isolation paths when bwrap works here, else rlimits only.
  static let isolations = SwiftModuleFixtures.isolations

  /// Writes `files` (name → text) into a fresh folder under the test process's scratch folder.
  static func writeSubmission(_ files: [String: String]) throws -> URL {
    let directory = SwiftModuleFixtures.scratch.appendingPathComponent("python-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    for (name, text) in files {
      try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
    return directory
  }

  private static let lock = NSLock()
  nonisolated(unsafe) private static var prepared: [String: PreparedPythonSubmission] = [:]

  /// Prepares a submission once per (key, isolation) for the whole test run.
  static func preparedOnce(
    key: String, isolation: Isolation = .auto, assignment: String, allowedPackages: [String] = [],
    limits: SandboxLimits = .default, submission: () throws -> URL
  ) throws -> PreparedPythonSubmission {
    lock.lock()
    defer { lock.unlock() }
    let fullKey = "\(key)/\(isolation.rawValue)"
    if let known = prepared[fullKey] { return known }
    _ = SwiftModuleFixtures.scratch
    let made = try PythonModuleRunner.prepare(
      try submission(), assignment: try SwiftModuleFixtures.assignment(assignment), allowedPackages: allowedPackages,
      limits: limits, isolation: isolation)
    prepared[fullKey] = made
    return made
  }

  /// The worked Python solution of `assignment`.
  static func workedSolution(_ assignment: String, isolation: Isolation = .auto) throws -> PreparedPythonSubmission {
    try preparedOnce(key: "solution-\(assignment)", isolation: isolation, assignment: assignment) {
      SwiftModuleFixtures.assignmentDirectory(assignment).appendingPathComponent("examples/python-solution", isDirectory: true)
    }
  }

  /// The shipped Python starter of `assignment`.
  static func starter(_ assignment: String) throws -> PreparedPythonSubmission {
    try preparedOnce(key: "starter-\(assignment)", assignment: assignment) {
      SwiftModuleFixtures.assignmentDirectory(assignment).appendingPathComponent("starter-python/solution.py")
    }
  }

  /// The live processes of the item uids this test process hands out (`UnprivilegedIDs`: the
  /// block of 4096 from 1 900 000 000 + (pid mod 20 000)·4096), so that items of other processes
  /// grading at the same time (the `grade` binaries of the command-line tests) do not count.
  static func itemProcesses() -> [String] {
    let base = 1_900_000_000 + UInt32(getpid() % 20_000) * 4096
    return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { entry in
      guard entry.allSatisfy(\.isNumber),
            let status = try? String(contentsOfFile: "/proc/\(entry)/status", encoding: .utf8),
            let uidLine = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }),
            let uid = uidLine.split(separator: "\t").dropFirst().first.flatMap({ UInt32($0) }) else { return false }
      return (base..<base + 4096).contains(uid) && !status.contains("State:\tZ")
    }
  }
}
