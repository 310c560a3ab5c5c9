import Foundation
import Testing
@testable import Grader

@Suite("Assignments and rubrics are read strictly")
struct AssignmentLoadingTests {
  @Test("every shipped assignment and rubric loads", arguments: shippedAssignments)
  func shippedLoad(id: String) throws {
    let (assignment, rubric) = try shipped(id)
    #expect(assignment.id == id)
    #expect(!assignment.items.isEmpty)
    #expect(rubric.maxScore > 0)
    #expect(Set(rubric.entries.keys) == Set(assignment.items.map(\.id)))
  }

  @Test("the rnn-bptt items and inputs are those of the course")
  func rnnBPTTContract() throws {
    let (a, _) = try shipped("rnn-bptt")
    #expect(a.inputs.map(\.name) == ["tokens", "E", "W_h", "W_e", "b_1", "U", "b_2", "h0"])
    #expect(a.items.map(\.id) == ["loss", "dU", "db_2", "dW_h", "dW_e", "db_1", "dE", "dh0", "delta1", "delta2", "dW_h_terms"])
    let T = a.model.size("T"), H = a.model.size("H"), V = a.model.size("V")
    #expect(a.input("tokens")?.shape == [T + 1])
    #expect(a.item("dW_h_terms")?.shape == [T, H, H])
    #expect(a.item("delta1")?.shape == [T, V])
  }

  /// Copies a shipped assignment to a temporary folder, edits its JSON and loads it.
  func loadEdited(_ id: String, file: String = "assignment.json", edit: (inout [String: Any]) -> Void) throws -> Result<(Assignment, Rubric), DataFileError> {
    let dir = temporaryDirectory().appendingPathComponent(id)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let source = assignmentsRoot.appendingPathComponent(id).appendingPathComponent("assignment.json")
    try FileManager.default.copyItem(at: source, to: dir.appendingPathComponent("assignment.json"))
    try FileManager.default.copyItem(at: AssignmentCatalog.packageRoot.appendingPathComponent("Rubrics/\(id).json"), to: dir.appendingPathComponent("rubric.json"))
    let target = dir.appendingPathComponent(file)
    var object = try JSONSerialization.jsonObject(with: Data(contentsOf: target)) as! [String: Any]
    edit(&object)
    try JSONSerialization.data(withJSONObject: object).write(to: target)
    do { return .success(try AssignmentCatalog().load(dir.path)) } catch { return .failure(error) }
  }

  @Test("an assignment folder outside the package loads, with its own rubric.json")
  func outsideFolder() throws {
    let result = try loadEdited("rnn-canonical") { $0["title"] = "Renamed" }
    let (a, _) = try result.get()
    #expect(a.title == "Renamed")
  }

  @Test("an unknown key is rejected, naming the key and the file")
  func unknownKey() throws {
    let result = try loadEdited("rnn-bptt") { $0["tittle"] = "x" }
    guard case .failure(let error) = result else { Issue.record("loaded"); return }
    #expect(error.description.contains("unknown key 'tittle'"))
    #expect(error.description.contains("did you mean 'title'"))
    #expect(error.file.hasSuffix("assignment.json"))
  }

  @Test("a missing field is rejected, naming the key and the file")
  func missingField() throws {
    let result = try loadEdited("rnn-bptt") { var m = $0["model"] as! [String: Any]; m["reference"] = nil; $0["model"] = m }
    guard case .failure(let error) = result else { Issue.record("loaded"); return }
    #expect(error.description.contains("missing required key 'reference'"))
    #expect(error.description.contains("model"))
  }

  struct BoundCase: Sendable, CustomTestStringConvertible {
    var name: String
    var edit: @Sendable (inout [String: Any]) -> Void
    var message: String
    var testDescription: String { name }
  }

  static let boundCases: [BoundCase] = [
    BoundCase(name: "1e308 points", edit: { var i = $0["items"] as! [String: Any]; i["loss"] = ["points": 1e308]; $0["items"] = i },
              message: "expected a number from 0 to 1000, found 1e+308"),
    BoundCase(name: "1001 points", edit: { var i = $0["items"] as! [String: Any]; i["loss"] = ["points": 1001]; $0["items"] = i },
              message: "expected a number from 0 to 1000, found 1001"),
    BoundCase(name: "a relative tolerance of 0.6", edit: { $0["tolerance"] = ["relative": 0.6, "absolute": 1e-7] },
              message: "expected a relative tolerance from 0 to 0.5, found 0.6"),
    BoundCase(name: "an item's absolute tolerance of 1e300", edit: {
      var i = $0["items"] as! [String: Any]; i["loss"] = ["points": 1, "tolerance": ["relative": 1e-5, "absolute": 1e300]]; $0["items"] = i
    }, message: "expected an absolute tolerance from 0 to 1.0, found 1e+300"),
  ]

  @Test("points and tolerances past their bounds are rejected with a sentence naming the field", arguments: boundCases)
  func rubricBounds(c: BoundCase) throws {
    let result = try loadEdited("rnn-canonical", file: "rubric.json", edit: c.edit)
    guard case .failure(let error) = result else { Issue.record("\(c.name) was accepted"); return }
    #expect(error.description.contains(c.message), "\(error)")
    #expect(error.file.hasSuffix("rubric.json"))
  }

  @Test("a rubric with an unknown item, a misspelt key or a missing item is rejected")
  func rubricErrors() throws {
    let unknown = try loadEdited("rnn-canonical", file: "rubric.json") { var i = $0["items"] as! [String: Any]; i["dW_zz"] = ["points": 1]; $0["items"] = i }
    guard case .failure(let e1) = unknown else { Issue.record("loaded"); return }
    #expect(e1.description.contains("unknown key 'dW_zz'"))
    #expect(e1.file.hasSuffix("rubric.json"))

    let misspelt = try loadEdited("rnn-canonical", file: "rubric.json") { var i = $0["items"] as! [String: Any]; i["loss"] = ["point": 1]; $0["items"] = i }
    guard case .failure(let e2) = misspelt else { Issue.record("loaded"); return }
    #expect(e2.description.contains("unknown key 'point'"))
    #expect(e2.description.contains("did you mean 'points'"))

    let missing = try loadEdited("rnn-canonical", file: "rubric.json") { var i = $0["items"] as! [String: Any]; i["dh0"] = nil; $0["items"] = i }
    guard case .failure(let e3) = missing else { Issue.record("loaded"); return }
    #expect(e3.description.contains("missing an entry for item 'dh0'"))
  }

  @Test("hidden_inputs must be a whole number from 0 to 20")
  func hiddenInputsKey() throws {
    let bad = try loadEdited("rnn-canonical", file: "rubric.json") { $0["hidden_inputs"] = 2.5 }
    guard case .failure(let error) = bad else { Issue.record("loaded"); return }
    #expect(error.description.contains("at 'hidden_inputs': expected a whole number from 0 to 20, found 2.5"))
    let none = try loadEdited("rnn-canonical", file: "rubric.json") { $0["hidden_inputs"] = nil }
    #expect(try none.get().1.hiddenInputSets == 0)
  }

  @Test("a declared shape that the model's sizes contradict is rejected")
  func wrongShape() throws {
    let result = try loadEdited("rnn-canonical") { o in
      var items = o["items"] as! [[String: Any]]
      items[1]["shape"] = ["V", "H"]
      o["items"] = items
    }
    guard case .failure(let error) = result else { Issue.record("loaded"); return }
    #expect(error.description.contains("item 'dW_xh' is declared with shape 8×5, but the reference computes 5×8"))
  }

  @Test("shape expressions resolve against the sizes")
  func shapeExpressions() {
    let sizes = ["T": 6, "window": 5, "d": 3]
    #expect(Assignment.evaluateSize("T+1", sizes: sizes) == 7)
    #expect(Assignment.evaluateSize("window*d", sizes: sizes) == 15)
    #expect(Assignment.evaluateSize("d", sizes: sizes) == 3)
    #expect(Assignment.evaluateSize("Q", sizes: sizes) == nil)
  }

  @Test("an item the grader cannot verify is refused: no checks, or a numeric check of a value that is not a derivative")
  func unverifiableChecks() throws {
    func editItem(_ id: String, checks: [String]) -> (inout [String: Any]) -> Void {
      { object in
        var items = object["items"] as! [[String: Any]]
        for k in items.indices where items[k]["id"] as? String == id { items[k]["checks"] = checks }
        object["items"] = items
      }
    }
    for (checks, phrase) in [([String](), "has no checks"), (["numeric"], "no numeric probe"), (["reference", "numeric"], "no numeric probe")] {
      let result = try loadEdited("rnn-bptt", edit: editItem("loss", checks: checks))
      guard case .failure(let error) = result else { Issue.record("\(checks) loaded"); continue }
      #expect(error.description.contains(phrase), "\(error)")
      #expect(error.description.contains("'loss'"))
    }
    // A numeric check alone, of a derivative, is something the grader can carry out.
    #expect(throws: Never.self) { try loadEdited("rnn-bptt", edit: editItem("dW_h", checks: ["numeric"])).get() }
  }

  @Test("the rubric's credit and feedback keys are read, and unknown values refused")
  func creditAndFeedback() throws {
    let (_, defaults) = try shipped("rnn-bptt")
    #expect(defaults.credit == .any && defaults.feedback == .errors)
    let (_, set) = try loadEdited("rnn-bptt", file: "rubric.json") { $0["credit"] = "code-only"; $0["feedback"] = "full" }.get()
    #expect(set.credit == .codeOnly && set.feedback == .full)
    for (key, value) in [("credit", "code"), ("feedback", "everything")] {
      let result = try loadEdited("rnn-bptt", file: "rubric.json") { $0[key] = value }
      guard case .failure(let error) = result else { Issue.record("\(key): \(value) loaded"); continue }
      #expect(error.description.contains("unknown \(key) '\(value)'"), "\(error)")
    }
  }

  @Test("python_packages lists the packages a Python submission may import besides NumPy; a name that is no module is refused")
  func pythonPackages() throws {
    let (_, defaults) = try shipped("rnn-bptt")
    #expect(defaults.pythonPackages.isEmpty)
    let (_, set) = try loadEdited("rnn-bptt", file: "rubric.json") { $0["python_packages"] = ["scipy"] }.get()
    #expect(set.pythonPackages == ["scipy"])
    for value in [["numpy"], ["scipy.special"], ["os; rm"]] as [[String]] {
      let result = try loadEdited("rnn-bptt", file: "rubric.json") { $0["python_packages"] = value }
      guard case .failure(let error) = result else { Issue.record("\(value) loaded"); continue }
      #expect(error.description.contains("at 'python_packages'") && error.description.contains("is not a package a submission can be allowed to import"), "\(error)")
    }
    let notStrings = try loadEdited("rnn-bptt", file: "rubric.json") { $0["python_packages"] = [1] }
    guard case .failure(let error) = notStrings else { Issue.record("[1] loaded"); return }
    #expect(error.description.contains("expected a string"), "\(error)")
  }
}
