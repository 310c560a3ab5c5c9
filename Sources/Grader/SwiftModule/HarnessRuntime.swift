import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How a submission's executable gets the Swift runtime, and so what its sandbox must hold.
///
/// ```
/// dynamic            swiftc … -o student        loads libswiftCore.so, libFoundation.so, … from the
///                                               toolchain's runtime directory (its RUNPATH)
///   bubblewrap       that directory bound read-only at its own path (/usr/lib, /lib* are bound already)
///   chroot           `HarnessRuntime` hard-linked into each item's root
/// staticExecutable   swiftc … -static-executable   needs nothing, but takes longer to link
/// ```
/// Dynamic is the default; a chroot falls back to a static executable when the runtime cannot be
/// hard-linked next to the submission (another file system, or no `ldd` to list it).
enum HarnessLinkage: Sendable, Equatable {
  case dynamic
  case staticExecutable

  var flags: [String] {
    switch self {
    case .dynamic: return []
    case .staticExecutable: return ["-static-executable"]
    }
  }
}

/// The files a dynamically linked submission loads, each at the path the loader looks for it, for
/// a `chroot` whose root holds nothing else.
///
/// ```
/// <runtime directory>/*.so                  the toolchain's Swift runtime, Foundation included
/// every library `ldd` lists for those       libc.so.6, libm.so.6, libstdc++.so.6, … (system paths)
/// the loader `ldd` names                    /lib64/ld-linux-x86-64.so.2
/// ```
/// The list comes from `ldd` on the toolchain's own libraries, once per process; `ldd` never sees a
/// student's binary. Files are hard links (never copies): the student's uid owns the item's root
/// but not these inodes, which keep their owner and mode; a file its group or others may write is
/// never linked (there is then no list, and the chroot gets a static executable).
struct HarnessRuntime: Sendable, Equatable {
  struct File: Sendable, Equatable {
    /// Path inside the root, e.g. `/lib/x86_64-linux-gnu/libc.so.6`.
    var path: String
    /// The regular file it is a hard link of.
    var source: String
  }

  var files: [File]

  private static let lock = NSLock()
  nonisolated(unsafe) private static var known: [String: HarnessRuntime?] = [:]

  /// The runtime of the toolchain's `runtimeLibraryDirectories`, or nil when it cannot be listed.
  static func listed(for toolchain: HarnessToolchain) -> HarnessRuntime? {
    let key = toolchain.runtimeLibraryDirectories.joined(separator: "\u{0}")
    return lock.withLock {
      if let cached = known[key] { return cached }
      let runtime = list(directories: toolchain.runtimeLibraryDirectories)
      known[key] = runtime
      return runtime
    }
  }

  private static func list(directories: [String]) -> HarnessRuntime? {
    guard !directories.isEmpty, let ldd = ExecutableLookup.find("ldd") else { return nil }
    let fm = FileManager.default
    var libraries: [String] = []
    for directory in directories {
      let names = (try? fm.contentsOfDirectory(atPath: directory)) ?? []
      libraries += names.filter { $0.hasSuffix(".so") || $0.contains(".so.") }.sorted()
        .map { (directory as NSString).appendingPathComponent($0) }
    }
    guard !libraries.isEmpty,
          let report = try? SandboxedProcess.run(
            executable: ldd, arguments: libraries, environment: ["PATH": "/usr/bin:/bin", "LC_ALL": "C"],
            wallClockSeconds: 60, maxOutputBytes: 4 << 20),
          !report.outputTruncated else { return nil }
    let dependencies = dependencyPaths(inLddOutput: report.stdoutText)
    guard dependencies.contains(where: { $0.contains("ld-linux") || $0.contains("ld-musl") }) else { return nil }
    var seen = Set<String>()
    var files: [File] = []
    for path in libraries + dependencies where seen.insert(path).inserted {
      // link(2) does not follow a symbolic link, so the source is the file at the end of any.
      guard let resolved = realpath(path, nil) else { return nil }
      let source = String(cString: resolved)
      free(resolved)
      var info = stat()
      // A file others may write would be writable from inside the chroot through its hard link.
      guard lstat(source, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, (info.st_mode & 0o022) == 0 else { return nil }
      files.append(File(path: path, source: source))
    }
    return HarnessRuntime(files: files)
  }

  /// The absolute paths `ldd` resolved: `libc.so.6 => /lib/…/libc.so.6 (0x…)` and the loader's
  /// `/lib64/ld-linux-x86-64.so.2 (0x…)`; headers (`/path/lib.so:`) and `not found` are skipped.
  static func dependencyPaths(inLddOutput text: String) -> [String] {
    var paths: [String] = []
    for raw in text.split(separator: "\n") {
      let line = raw.trimmingCharacters(in: .whitespaces)
      guard !line.hasSuffix(":") else { continue }
      let target = line.range(of: "=>").map { String(line[$0.upperBound...]) } ?? line
      guard let word = target.split(separator: " ").first, word.hasPrefix("/") else { continue }
      paths.append(String(word))
    }
    return paths
  }

  /// Hard-links every file at its path under `root`, making directories (0755) as needed;
  /// `sources` replaces each file's source by the same path under another root.
  func link(into root: URL, from sources: URL? = nil) throws {
    if mkdir(root.path, 0o755) != 0 && errno != EEXIST {
      throw HarnessSetupError.workspace("could not make \(root.path): \(String(cString: strerror(errno)))")
    }
    var made = Set<String>()
    for file in files {
      let destination = root.path + file.path
      let parent = (destination as NSString).deletingLastPathComponent
      if !made.contains(parent) {
        try makeDirectories(parent, below: root.path)
        made.insert(parent)
      }
      let source = sources.map { $0.path + file.path } ?? file.source
      guard Glibc.link(source, destination) == 0 else {
        throw HarnessSetupError.workspace("could not hard-link \(source) into the sandbox: \(String(cString: strerror(errno)))")
      }
    }
  }

  private func makeDirectories(_ path: String, below root: String) throws {
    var current = root
    for component in path.dropFirst(root.count).split(separator: "/") {
      current += "/" + component
      if mkdir(current, 0o755) == 0 {
        _ = chmod(current, 0o755)   // whatever the umask: the item's uid must reach the libraries
      } else if errno != EEXIST {
        throw HarnessSetupError.workspace("could not make \(current): \(String(cString: strerror(errno)))")
      }
    }
  }
}
