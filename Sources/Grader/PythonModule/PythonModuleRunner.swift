import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a student's Python functions — `solution.py`, one function per item — on input sets, in a
/// sandbox, with the system's `python3` and NumPy.
///
/// ```
/// prepare   the interpreter probed (`PythonInterpreter`), the student's files read and copied
///           (`PythonSubmissionFiles`), the sandbox resolved (`PythonSandbox`) and, for a chroot,
///           the interpreter installed into the workspace's root (`PythonRuntime`)
/// run       one sandbox per call: the harness imports NumPy once and forks one process per item,
///           which imports the student's module and answers every input set in order
/// ```
/// Each item's process has the limits of a Swift item (`SandboxLimits`, wall clock and CPU time
/// times the number of sets) and, when the grader is root, an unused uid of its own: an exception
/// is the item's finding, with the student's file and line; a crash, an endless loop, a runaway
/// allocation or a fork loop ends that item's process only and is reported against it at the set
/// being computed (earlier sets keep their answers); the other items still run. What the student's
/// code prints is never read as an answer: only the records the harness seals with the run's nonce
/// after a function returned are (`PythonResultChannel`). State kept in the module's globals carries
/// over from one set to the next within an item's process, never from one item to another.
public enum PythonModuleRunner {
  /// Prepares the submission at `submission` (a `.py` file, or a folder holding `solution.py`).
  ///
  /// Throws only when the student's files cannot be read (a symbolic link, no `solution.py`, too
  /// large); a machine that cannot run Python gives a submission with a `setupError` (not graded)
  /// whose items fail with the reason.
  public static func prepare(
    _ submission: URL, assignment: Assignment, allowedPackages: [String] = [], limits: SandboxLimits = .default,
    isolation: Isolation = .auto
  ) throws(PythonSubmissionError) -> PreparedPythonSubmission {
    let prepared = PreparedPythonSubmission(limits: limits, assignment: assignment)
    let interpreter = Result { () throws(PythonSetupError) -> PythonInterpreter in try PythonInterpreter.located() }
    var reserved = Set(["harness", "numpy"] + allowedPackages)
    if case .success(let python) = interpreter { reserved.formUnion(python.standardLibraryNames) }
    let files = try PythonSubmissionFiles.read(submission, reserved: reserved)
    prepared.notes = files.notes
    prepared.studentModules = files.files.map { String($0.name.dropLast(3)) }
    do {
      let python = try interpreter.get()
      prepared.interpreterVersion = python.version
      let packages = try python.packages(allowing: allowedPackages)
      let sandbox = try PythonSandbox.resolve(isolation, interpreter: python, packages: packages)
      prepared.sandbox = sandbox
      prepared.isolationUsed = sandbox.name
      let workspace = try PythonWorkspace(root: SwiftModuleRunner.makeTemporaryDirectory(prefix: "python-submission"))
      prepared.workspace = workspace
      for (name, contents) in files.files {
        try PythonWorkspace.write(contents, to: workspace.student.appendingPathComponent(name))
      }
      if case .chroot = sandbox.plan {
        guard let setpriv = ExecutableLookup.find("setpriv") else {
          throw HarnessSetupError.workspace("setpriv (util-linux) was not found, so the items could not drop root.")
        }
        let runtime = try PythonRuntime.listed(for: python, packages: packages.map(\.package), setpriv: setpriv)
        try runtime.install(into: workspace.tree)
      }
      prepared.isRunnable = true
    } catch {
      prepared.setupError = SystemErrorText.sentence(error)
    }
    return prepared
  }
}
