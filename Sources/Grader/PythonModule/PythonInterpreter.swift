import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The system's `python3` as a sandbox needs to know it: its binary, the libraries it loads, its
/// standard library, its site directories and where each package a submission may import lives.
///
/// ```
/// which python3      $GRADE_PYTHON, else python3 on PATH (a pyenv shim or a venv's python is
///                    followed to the real interpreter: sys.executable, resolved)
/// probe              python3 -I -S -c <script> numpy scipy   (once per process; it imports nothing
///                    but the standard library: packages are found with importlib.util.find_spec)
/// ldd <executable>   the shared libraries outside the system directories (libpython of a pyenv
///                    or a self-built Python), bound into the sandbox beside it
/// ```
/// NumPy is required; other packages (SciPy) only when the rubric names them.
struct PythonInterpreter: Sendable, Equatable {
  /// A package a submission may import: its directory, the site directory holding it, and the
  /// folder of vendored shared libraries pip wheels ship beside it (`numpy.libs`), if any.
  struct Package: Sendable, Equatable {
    var directory: String
    var site: String
    var libraries: String?
  }

  /// The interpreter's binary, symbolic links resolved.
  var executable: String
  /// `major.minor.micro`.
  var version: String
  /// The directories of the standard library (`stdlib`, `platstdlib`, `lib-dynload`), resolved.
  var standardLibrary: [String]
  /// Every site directory (`site-packages`, `dist-packages`, the user's), resolved and existing.
  var siteDirectories: [String]
  /// The packages found, by import name.
  var packages: [String: Package]
  /// The top-level modules of the standard library (`sys.stdlib_module_names`, or a listing of
  /// the standard library's directories before Python 3.10).
  var standardLibraryNames: [String]
  /// Shared libraries the executable loads from outside the system library directories.
  var libraries: [String]

  /// The packages every probe looks for.
  static let probedPackages = ["numpy", "scipy"]

  private static let lock = NSLock()
  nonisolated(unsafe) private static var known: [String: Result<PythonInterpreter, PythonSetupError>] = [:]

  /// The interpreter the grader runs submissions with, probed once per process.
  static func located(environment: [String: String] = ProcessInfo.processInfo.environment) throws(PythonSetupError) -> PythonInterpreter {
    let command = environment["GRADE_PYTHON"].flatMap { $0.isEmpty ? nil : $0 } ?? ExecutableLookup.find("python3")
    guard let command else { throw .interpreterNotFound }
    return try lock.withLock {
      if let cached = known[command] { return cached }
      let result = Result { () throws(PythonSetupError) -> PythonInterpreter in try probe(command) }
      known[command] = result
      return result
    }.get()
  }

  /// The probe: a JSON object of the interpreter's paths, printed by the interpreter itself.
  static let probeScript = #"""
import json, os, sys, sysconfig
paths = sysconfig.get_paths()
stdlib = []
for p in [paths["stdlib"], paths["platstdlib"]] + [p for p in sys.path if p]:
    p = os.path.realpath(p)
    if os.path.isdir(p) and p not in stdlib:
        stdlib.append(p)
import site
sites = []
for p in list(site.getsitepackages()) + [site.getusersitepackages()]:
    p = os.path.realpath(p)
    if os.path.isdir(p) and p not in sites:
        sites.append(p)
names = set(getattr(sys, "stdlib_module_names", ()))
if not names:
    names = set(sys.builtin_module_names)
    for d in stdlib:
        for entry in os.listdir(d):
            if entry in ("site-packages", "dist-packages"):
                continue
            base = entry.split(".")[0]
            if entry.endswith((".py", ".so")) or os.path.isfile(os.path.join(d, entry, "__init__.py")):
                names.add(base)
import importlib.util
sys.path.extend(sites)
packages = {}
for name in sys.argv[1:]:
    try:
        spec = importlib.util.find_spec(name)
    except Exception:
        spec = None
    if spec is not None and spec.submodule_search_locations:
        d = os.path.realpath(list(spec.submodule_search_locations)[0])
        libs = d + ".libs"
        packages[name] = {"directory": d, "site": os.path.dirname(d), "libraries": libs if os.path.isdir(libs) else None}
print(json.dumps({"executable": os.path.realpath(sys.executable), "version": "%d.%d.%d" % sys.version_info[:3],
                  "stdlib": stdlib, "site": sites, "packages": packages, "names": sorted(names)}))
"""#

  private static func probe(_ command: String) throws(PythonSetupError) -> PythonInterpreter {
    let report: ProcessReport
    do {
      report = try SandboxedProcess.run(
        executable: command, arguments: ["-I", "-S", "-c", probeScript] + probedPackages,
        environment: ProcessInfo.processInfo.environment, wallClockSeconds: 60, maxOutputBytes: 1 << 20)
    } catch {
      throw .probeFailed(command: command, why: "\(error)")
    }
    guard report.termination == .exited(0), !report.timedOut,
          let object = try? JSONSerialization.jsonObject(with: Data(report.stdout)) as? [String: Any],
          let executable = object["executable"] as? String, let version = object["version"] as? String,
          let stdlib = object["stdlib"] as? [String], let sites = object["site"] as? [String],
          let found = object["packages"] as? [String: [String: Any]], let names = object["names"] as? [String]
    else {
      let why = report.timedOut ? "it did not answer within 60 s" : report.stderrText.split(separator: "\n").suffix(3).joined(separator: " / ")
      throw .probeFailed(command: command, why: why.isEmpty ? "it printed no description of itself" : why)
    }
    var packages: [String: Package] = [:]
    for (name, entry) in found {
      guard let directory = entry["directory"] as? String, let site = entry["site"] as? String else { continue }
      packages[name] = Package(directory: directory, site: site, libraries: entry["libraries"] as? String)
    }
    let major = version.split(separator: ".").prefix(2).compactMap { Int($0) }
    guard major.count == 2, major[0] == 3, major[1] >= 8 else { throw .tooOld(command: command, version: version) }
    guard packages["numpy"] != nil else { throw .packageMissing(package: "numpy", interpreter: executable) }
    return PythonInterpreter(
      executable: executable, version: version, standardLibrary: stdlib, siteDirectories: sites, packages: packages,
      standardLibraryNames: names, libraries: Self.nonSystemLibraries(of: executable))
  }

  /// The libraries `ldd` lists for `executable` that lie outside the system library directories.
  static func nonSystemLibraries(of executable: String) -> [String] {
    guard let ldd = ExecutableLookup.find("ldd"),
          let report = try? SandboxedProcess.run(
            executable: ldd, arguments: [executable], environment: ["PATH": "/usr/bin:/bin", "LC_ALL": "C"],
            wallClockSeconds: 30, maxOutputBytes: 1 << 16) else { return [] }
    return HarnessRuntime.dependencyPaths(inLddOutput: report.stdoutText).filter { path in
      !SandboxPlan.systemLibraryDirectories.contains { path.hasPrefix($0 + "/") }
    }
  }

  /// The packages a submission may import: NumPy and `allowed`, each found, or the reason not.
  func packages(allowing allowed: [String]) throws(PythonSetupError) -> [(name: String, package: Package)] {
    var out: [(String, Package)] = []
    for name in ["numpy"] + allowed.filter({ $0 != "numpy" }) {
      guard let package = packages[name] else { throw .packageMissing(package: name, interpreter: executable) }
      out.append((name, package))
    }
    return out
  }
}

/// Why Python submissions cannot be run at all on this machine (as opposed to an item failing).
enum PythonSetupError: Error, CustomStringConvertible, Equatable, Sendable {
  case interpreterNotFound
  case probeFailed(command: String, why: String)
  case tooOld(command: String, version: String)
  case packageMissing(package: String, interpreter: String)
  case notProbed(String)

  var description: String {
    switch self {
    case .interpreterNotFound:
      return "python3 was not found on PATH, so the Python submission could not be run; install python3 and NumPy (apt-get install python3 python3-numpy), or set GRADE_PYTHON to an interpreter."
    case let .probeFailed(command, why):
      return "\(command) could not describe itself, so the Python submission could not be run: \(why)."
    case let .tooOld(command, version):
      return "\(command) is Python \(version); the grader runs submissions with Python 3.8 or later."
    case let .packageMissing(package, interpreter):
      let install = package == "numpy" ? "apt-get install python3-numpy, or pip install numpy" : "pip install \(package), or apt-get install python3-\(package)"
      return "\(interpreter) cannot import \(package), which the submission may use; install it (\(install))."
    case .notProbed(let why):
      return why
    }
  }
}
