import Foundation
import Testing
@testable import Grader

/// Everything model-specific lives in `Sources/Grader/Models/<Model>/`: the grader's other parts
/// work from the model's declarations, so they name no item, input or model.
@Suite("No model is named outside its folder")
struct ModelBoundaryTests {
  /// The folders that must stay model-free.
  static let generic = ["Checking", "Grading", "Diagnosis", "Reports", "Batch", "Integrations", "SwiftModule", "PythonModule", "Starters", "FormulaItems"]

  /// Every name a registered model uses: item ids, input names, model names and type names.
  static func modelNames() throws -> Set<String> {
    var names: Set<String> = []
    let catalog = AssignmentCatalog(root: AssignmentCatalog.packageRoot.appendingPathComponent("Assignments"))
    for id in catalog.ids() {
      let model = try catalog.load(id).0.model
      names.formUnion(model.items.map(\.name))
      names.formUnion(model.inputs.map(\.name))
    }
    for type in ModelRegistry.models {
      names.insert(type.name)
      names.insert(String(describing: type))
    }
    return names.union(["BPTTReference"])
  }

  /// The code of a Swift file without its comments (string literals kept).
  static func code(_ source: String) -> String {
    source.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
      var inString = false
      var previous: Character = " "
      for index in line.indices {
        let c = line[index]
        if c == "\"" && previous != "\\" { inString.toggle() }
        if !inString && c == "/" && previous == "/" { return line[..<line.index(before: index)] }
        previous = c
      }
      return line
    }.joined(separator: "\n")
  }

  @Test("the generic folders of Sources/Grader name no item id, input, or model")
  func genericFoldersAreModelFree() throws {
    let names = try Self.modelNames()
    #expect(names.contains("dW_h_terms") && names.contains("W_hh") && names.contains("rnn-lm"), "the names are found: \(names.sorted())")
    let root = AssignmentCatalog.packageRoot.appendingPathComponent("Sources/Grader")
    var findings: [String] = []
    for folder in Self.generic {
      let dir = root.appendingPathComponent(folder)
      let files = (FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? [])
        .filter { $0.pathExtension == "swift" }
      #expect(!files.isEmpty || folder == "Starters", "\(folder) has Swift files")
      for file in files {
        let code = Self.code(try String(contentsOf: file, encoding: .utf8))
        for name in names {
          // A string literal that is the name, or (for names that cannot be ordinary words) the name as a word.
          let literal = code.contains("\"\(name)\"")
          let distinctive = name.count >= 3 && (name.contains("_") || name.contains("-") || name.rangeOfCharacter(from: .decimalDigits) != nil || name.first!.isUppercase)
          let word = distinctive && code.range(of: "(?<![A-Za-z0-9_])\(NSRegularExpression.escapedPattern(for: name))(?![A-Za-z0-9_])", options: .regularExpression) != nil
          if literal || word { findings.append("\(folder)/\(file.lastPathComponent) names '\(name)'") }
        }
      }
    }
    #expect(findings.isEmpty, "\(findings.joined(separator: "\n"))")
  }
}
