/// Compiler output as the student should read it: file names without the sandbox's temporary
/// directory, e.g. `Solution.swift:12:5: error: cannot find 'x' in scope`.
enum CompilerDiagnostics {
  /// Every error line of `output` (compiler and linker), with `directory` removed from paths.
  static func errors(in output: String, sourceDirectory directory: String) -> [String] {
    let cleaned = strip(output, directory: directory)
    let lines = cleaned.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    let errors = lines.filter { $0.contains("error:") }
    return errors.isEmpty ? Array(lines.suffix(20)) : errors
  }

  /// `output` without the directory prefix (with or without a trailing slash) and the module prefix
  /// the runtime puts before file names (`Submission/Solution.swift:4`).
  static func strip(_ output: String, directory: String) -> String {
    var text = output
    let prefix = directory.hasSuffix("/") ? directory : directory + "/"
    text = text.replacingOccurrences(of: prefix, with: "")
    text = text.replacingOccurrences(of: directory, with: ".")
    text = text.replacingOccurrences(of: "\(HarnessSupportSource.submissionModuleName)/", with: "")
    return text
  }
}
