import Foundation
import Testing
@testable import Grader

@Suite("Python starters generated from the assignment")
struct PythonStarterTests {
  static func assignment(_ id: String) throws -> Assignment {
    try AssignmentCatalog(root: AssignmentCatalog.packageRoot.appendingPathComponent("Assignments")).load(id).0
  }

  @Test("the shipped Python starters are the generated ones (regenerate with `grade starter <id> --language python --out Assignments/<id>/starter-python`)",
        arguments: shippedAssignments)
  func shippedStartersAreUpToDate(id: String) throws {
    let a = try Self.assignment(id)
    for file in PythonStarter.files(for: a) {
      let url = a.directory.appendingPathComponent("starter-python").appendingPathComponent(file.name)
      let shipped = try String(contentsOf: url, encoding: .utf8)
      #expect(shipped == file.contents, "\(id)/starter-python/\(file.name) is out of date")
    }
  }

  @Test("every item has a function of the inputs in the declared order returning None, with its statement and shape",
        arguments: shippedAssignments)
  func oneFunctionPerItem(id: String) throws {
    let a = try Self.assignment(id)
    let source = PythonStarter.solution(for: a)
    let parameters = a.inputs.map(\.name).joined(separator: ", ")
    for item in a.items {
      let header = try #require(source.range(of: "\ndef \(item.id)(\(parameters)):\n    \"\"\""), "\(id) \(item.id)")
      let body = source[header.upperBound...]
      let end = try #require(body.range(of: "    return None\n"), "\(id) \(item.id)")
      let docstring = String(body[..<end.lowerBound])
      let words = item.statement.split(separator: " ").prefix(3).joined(separator: " ")
      #expect(docstring.replacingOccurrences(of: "\n    ", with: " ").contains(words), "\(id) \(item.id): \(docstring)")
      let shape = item.shape.isEmpty ? "Returns a scalar." : "Returns an array of shape \(item.symbolicShape.joined(separator: " × "))."
      #expect(docstring.contains(shape), "\(id) \(item.id)")
    }
    #expect(source.components(separatedBy: "    # TODO: your code here\n    return None\n").count - 1 == a.items.count)
    #expect(source.contains("if __name__ == \"__main__\":\n    import sys\n    _run_locally(sys.argv[1:])"))
  }

  @Test("every input is listed in the module's docstring with its shape and dtype, in the declared order")
  func inputsAreListed() throws {
    let a = try Self.assignment("backprop-basics")
    let source = PythonStarter.solution(for: a)
    var last = source.startIndex
    for input in a.inputs {
      let dtype = input.dtype.isFloatingPoint ? "float64" : "int64"
      let line = try #require(source.range(of: "\n    \(input.name) "), "\(input.name)")
      #expect(line.lowerBound >= last, "\(input.name) out of order")
      let rest = source[line.upperBound...].prefix { $0 != "\n" }
      #expect(rest.contains(dtype), "\(input.name): \(rest)")
      last = line.lowerBound
    }
  }

  @Test("a statement with a backslash or triple quotes stays inside its docstring")
  func escaping() {
    #expect(PythonStarter.escaped(#"a \ b """ c"#) == #"a \\ b "\"" c"#)
  }

  @Test("the local runner lists every item, at most 100 columns a line")
  func runnerListsItems() {
    let items = (1...30).map { "item_number_\($0)" }
    let runner = PythonStarter.runner(items: items)
    for item in items { #expect(runner.contains("\"\(item)\"")) }
    #expect(runner.split(separator: "\n").allSatisfy { $0.count <= 100 })
  }
}
