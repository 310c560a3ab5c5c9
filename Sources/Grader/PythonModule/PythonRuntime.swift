import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The files a Python run needs inside a `chroot` whose root holds nothing else: the interpreter,
/// its standard library, the packages a submission may import, every shared library they load,
/// and `setpriv`, each at the path it has on the host.
///
/// ```
/// <executable>                          the interpreter (resolved)
/// <standard library>/**                 but site-packages, dist-packages and the test suite, IDLE,
///                                       Tk and the turtle demos
/// <package>/**, <package>.libs/**       NumPy (and the rubric's other packages)
/// every library `ldd` lists             for the interpreter, every .so above, and setpriv
/// /sbx/setpriv                          setpriv, which limits the harness's capabilities
/// ```
/// Regular files are hard links (copies across file systems): they keep their owner and mode, and
/// a file its group or others may write is left out (it would be writable from inside). Symbolic
/// links are made again with the same target. The listing runs `ldd` once per process and set of
/// packages; `ldd` never sees a student's file.
struct PythonRuntime: Sendable {
  enum Entry: Sendable, Equatable {
    case file(source: String)
    case symbolicLink(target: String)
  }

  /// Path inside the root → what is there.
  var entries: [(path: String, entry: Entry)]

  /// The path of `setpriv` inside the root.
  static let setprivPath = "/sbx/setpriv"

  /// Standard-library folders no submission needs.
  static let skippedStandardLibrary = Set("site-packages dist-packages test idlelib tkinter turtledemo ensurepip lib2to3".split(separator: " ").map(String.init))

  private static let lock = NSLock()
  nonisolated(unsafe) private static var known: [String: PythonRuntime] = [:]

  /// The runtime of `interpreter` with `packages`, or the reason it cannot be listed.
  static func listed(for interpreter: PythonInterpreter, packages: [PythonInterpreter.Package], setpriv: String) throws(PythonSetupError) -> PythonRuntime {
    let key = ([interpreter.executable, setpriv] + packages.map(\.directory)).joined(separator: "\u{0}")
    if let cached = lock.withLock({ known[key] }) { return cached }
    let runtime = try list(interpreter: interpreter, packages: packages, setpriv: setpriv)
    lock.withLock { known[key] = runtime }
    return runtime
  }

  private static func list(interpreter: PythonInterpreter, packages: [PythonInterpreter.Package], setpriv: String) throws(PythonSetupError) -> PythonRuntime {
    var entries: [(String, Entry)] = []
    var seen = Set<String>()
    var sharedObjects: [String] = [interpreter.executable, setpriv]
    func add(_ path: String, _ entry: Entry) {
      if seen.insert(path).inserted { entries.append((path, entry)) }
    }
    func walk(_ root: String, skipping: Set<String>) {
      let fm = FileManager.default
      guard let enumerator = fm.enumerator(atPath: root) else { return }
      while let relative = enumerator.nextObject() as? String {
        let first = relative.split(separator: "/").first.map(String.init) ?? relative
        if skipping.contains(first) {
          enumerator.skipDescendants()
          continue
        }
        let path = root + "/" + relative
        var info = stat()
        guard lstat(path, &info) == 0 else { continue }
        switch info.st_mode & S_IFMT {
        case S_IFLNK:
          if let target = try? fm.destinationOfSymbolicLink(atPath: path) { add(path, .symbolicLink(target: target)) }
        case S_IFREG where info.st_mode & 0o022 == 0:
          add(path, .file(source: path))
          if path.hasSuffix(".so") || path.contains(".so.") { sharedObjects.append(path) }
        default:
          continue
        }
      }
    }
    add(interpreter.executable, .file(source: interpreter.executable))
    for directory in interpreter.standardLibrary {
      walk(directory, skipping: skippedStandardLibrary)
    }
    for package in packages {
      walk(package.directory, skipping: [])
      if let libraries = package.libraries { walk(libraries, skipping: []) }
    }
    guard let ldd = ExecutableLookup.find("ldd") else {
      throw .notProbed("ldd was not found, so the libraries Python loads could not be listed for the chroot.")
    }
    let report: ProcessReport
    do {
      report = try SandboxedProcess.run(
        executable: ldd, arguments: sharedObjects, environment: ["PATH": "/usr/bin:/bin", "LC_ALL": "C"],
        wallClockSeconds: 300, maxOutputBytes: 16 << 20)
    } catch {
      throw .notProbed("ldd could not be run to list the libraries Python loads: \(error)")
    }
    for path in HarnessRuntime.dependencyPaths(inLddOutput: report.stdoutText) where !seen.contains(path) {
      guard let resolved = realpath(path, nil) else { continue }
      let source = String(cString: resolved)
      free(resolved)
      var info = stat()
      guard lstat(source, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_mode & 0o022 == 0 else { continue }
      add(path, .file(source: source))
    }
    add(setprivPath, .file(source: setpriv))
    return PythonRuntime(entries: entries)
  }

  /// Makes every entry under `root` (directories 0755), hard-linking files, copying a file that
  /// lies on another file system.
  func install(into root: URL) throws {
    var made = Set<String>()
    for (path, entry) in entries {
      let destination = root.path + path
      let parent = (destination as NSString).deletingLastPathComponent
      if !made.contains(parent) {
        try makeDirectories(parent, below: root.path, made: &made)
      }
      switch entry {
      case .symbolicLink(let target):
        guard symlink(target, destination) == 0 || errno == EEXIST else {
          throw PythonSetupError.notProbed("could not make the link \(path) in the sandbox: \(String(cString: strerror(errno)))")
        }
      case .file(let source):
        if link(source, destination) != 0 {
          guard errno == EXDEV else {
            if errno == EEXIST { continue }
            throw PythonSetupError.notProbed("could not hard-link \(source) into the sandbox: \(String(cString: strerror(errno)))")
          }
          try FileManager.default.copyItem(atPath: source, toPath: destination)
        }
      }
    }
  }

  private func makeDirectories(_ path: String, below root: String, made: inout Set<String>) throws {
    var current = root
    for component in path.dropFirst(root.count).split(separator: "/") {
      current += "/" + component
      guard made.insert(current).inserted else { continue }
      if mkdir(current, 0o755) == 0 {
        _ = chmod(current, 0o755)
      } else if errno != EEXIST {
        throw PythonSetupError.notProbed("could not make \(current): \(String(cString: strerror(errno)))")
      }
    }
    made.insert(path)
  }
}
