import Foundation
import Testing
@testable import Grader

/// What the bubblewrap sandbox of a Python run binds, for interpreters laid out as pyenv and as
/// Debian lay them out (paths that need not exist here are left out, so the layouts are made
/// under a temporary folder).
@Suite("The Python sandbox's view of the interpreter")
struct PythonSandboxTests {
  /// A pyenv-like prefix: bin/python3.11, lib/libpython3.11.so.1.0, lib/python3.11/{os.py,
  /// lib-dynload, site-packages/{numpy, numpy.libs, scipy, sympy}}.
  static func pyenvLike() throws -> PythonInterpreter {
    let prefix = temporaryDirectory().appendingPathComponent("pyenv").path
    let stdlib = prefix + "/lib/python3.11", site = stdlib + "/site-packages"
    for directory in [prefix + "/bin", stdlib + "/lib-dynload", site + "/numpy", site + "/numpy.libs", site + "/scipy", site + "/sympy"] {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }
    for file in [prefix + "/bin/python3.11", prefix + "/lib/libpython3.11.so.1.0", stdlib + "/os.py"] {
      FileManager.default.createFile(atPath: file, contents: Data())
    }
    return PythonInterpreter(
      executable: prefix + "/bin/python3.11", version: "3.11.7", standardLibrary: [stdlib, stdlib + "/lib-dynload"],
      siteDirectories: [site], packages: [
        "numpy": .init(directory: site + "/numpy", site: site, libraries: site + "/numpy.libs"),
        "scipy": .init(directory: site + "/scipy", site: site, libraries: nil),
      ], standardLibraryNames: ["os"], libraries: [prefix + "/lib/libpython3.11.so.1.0"])
  }

  static func binds(_ python: PythonInterpreter, allowing: [String]) throws -> [String] {
    let packages = try python.packages(allowing: allowing)
    let sandbox = PythonSandbox(plan: .limitsOnly(prlimit: "/usr/bin/prlimit", unshare: nil), interpreter: python, packages: packages)
    return sandbox.bubblewrapBinds()
  }

  @Test("the executable, its library and the standard library are bound read-only; the site directory is an empty tmpfs with NumPy bound back")
  func pyenvLayout() throws {
    let python = try Self.pyenvLike()
    let site = python.siteDirectories[0]
    let binds = try Self.binds(python, allowing: [])
    let joined = binds.joined(separator: " ")
    #expect(joined.contains("--ro-bind \(python.executable) \(python.executable)"))
    #expect(joined.contains("--ro-bind \(python.libraries[0]) \(python.libraries[0])"))
    #expect(joined.contains("--ro-bind \(python.standardLibrary[0]) \(python.standardLibrary[0])"))
    #expect(!joined.contains("--ro-bind \(python.standardLibrary[1]) "), "lib-dynload is inside the standard library's bind")
    let tmpfs = try #require(binds.firstIndex(of: "--tmpfs"))
    #expect(binds[tmpfs + 1] == site)
    #expect(joined.contains("--ro-bind \(site)/numpy \(site)/numpy") && joined.contains("--ro-bind \(site)/numpy.libs \(site)/numpy.libs"))
    #expect(!joined.contains("scipy") && !joined.contains("sympy"), "packages the rubric does not allow are not bound")
    let remount = try #require(binds.lastIndex(of: "--remount-ro"))
    #expect(binds[remount + 1] == site && remount > tmpfs)
    // Parents of the prefix are made 0755, so an unprivileged uid can reach the interpreter.
    let parent = (python.executable as NSString).deletingLastPathComponent
    #expect(joined.contains("--perms 0755 --dir \(parent)"))
  }

  @Test("the rubric's python_packages are bound too; a package the interpreter lacks is a setup error naming it")
  func allowedPackages() throws {
    let python = try Self.pyenvLike()
    let joined = try Self.binds(python, allowing: ["scipy"]).joined(separator: " ")
    #expect(joined.contains("/site-packages/scipy "))
    #expect(!joined.contains("sympy"))
    #expect(throws: PythonSetupError.packageMissing(package: "torch", interpreter: python.executable)) {
      _ = try python.packages(allowing: ["torch"])
    }
  }

  @Test("a system interpreter under /usr/lib: nothing bound again, its dist-packages hidden but for NumPy")
  func systemLayout() throws {
    guard FileManager.default.fileExists(atPath: "/usr/lib") else { return }
    let site = "/usr/lib/python3/dist-packages"
    let python = PythonInterpreter(
      executable: "/usr/bin/python3.11", version: "3.11.2", standardLibrary: ["/usr/lib/python3.11"], siteDirectories: [site],
      packages: ["numpy": .init(directory: site + "/numpy", site: site, libraries: nil)], standardLibraryNames: [], libraries: [])
    let binds = try Self.binds(python, allowing: [])
    #expect(!binds.contains("/usr/lib/python3.11"), "covered by the system's /usr/lib")
    let tmpfs = try #require(binds.firstIndex(of: "--tmpfs"))
    #expect(binds[tmpfs + 1] == site)
    #expect(binds.joined(separator: " ").contains("--ro-bind \(site)/numpy \(site)/numpy"))
  }
}
