import Foundation

/// The Python starter of an assignment, generated from `assignment.json`: `solution.py`, one
/// function per item taking the inputs by name in the declared order, with the item's statement
/// and shape in its docstring, returning `None` until it is filled in, and a local runner.
///
/// ```
/// def dW_h(tokens, E, W_h, W_e, b_1, U, b_2, h0):
///     """∂J/∂W_h = (1/T) Σ_t Σ_{i≤t} ∂J^(t)/∂W_h|_(i).
///
///     Returns an array of shape H × H.
///     """
///     # TODO: your code here
///     return None
///
/// python3 solution.py inputs.npz [answers.npz]     the local runner: calls every function on
///                                                 the inputs `grade inputs` wrote, saves answers
/// ```
/// The grader imports the module and calls each function with the inputs its parameters name
/// (NumPy arrays, int64 or float64; a scalar input as a NumPy number); the local runner does the
/// same, and never runs under the grader. `grade starter <assignment> --language python --out
/// <dir>` writes it.
public enum PythonStarter {
  public static let solutionFileName = "solution.py"

  /// The starter's files, by name.
  public static func files(for assignment: Assignment) -> [(name: String, contents: String)] {
    [(solutionFileName, solution(for: assignment))]
  }

  /// The function's parameters: every input whose name is a Python identifier, in the declared
  /// order, and `**inputs` when some name is not.
  static func parameters(_ assignment: Assignment) -> [String] {
    let names = assignment.inputs.map(\.name)
    let usable = names.filter(PythonSubmissionFiles.isIdentifier)
    return usable.count == names.count ? usable : usable + ["**inputs"]
  }

  /// `solution.py`.
  public static func solution(for assignment: Assignment) -> String {
    var out = "\"\"\"\(assignment.id): \(assignment.title)\n"
    if !assignment.description.isEmpty { out += "\n" + SwiftStarter.comment(escaped(assignment.description), prefix: "") }
    out += """

      Fill in each function below. It receives the inputs it names as NumPy arrays (int64 for
      indices and counts, float64 otherwise; a scalar input is a NumPy number) and returns its item
      as an array of the shape its docstring gives (a scalar as a number). Leave `return None` for
      an item you do not answer: it is reported as missing. You may import the Python standard
      library and numpy, and add helper functions here or in other .py files beside this one.

          grade inputs \(assignment.id) --student <id> --out inputs.npz
          python3 solution.py inputs.npz answers.npz    # calls every function, saves the answers
          grade check \(assignment.id) solution.py --student <id>

      `grade check` runs your functions in a sandbox at your own inputs (a self-check, not a
      grade); the course's graded runs also run them on hidden inputs.

      The inputs, in the order of every function's parameters (indices are 0-based):


      """
    let nameWidth = assignment.inputs.map(\.name.count).max() ?? 0
    let shapes = assignment.inputs.map { SwiftStarter.symbolic($0.symbolicShape) }
    let shapeWidth = shapes.map(\.count).max() ?? 0
    for (input, shape) in zip(assignment.inputs, shapes) {
      let dtype = input.dtype.isFloatingPoint ? "float64" : "int64  "
      let columns = "    " + SwiftStarter.pad(input.name, nameWidth) + "  " + SwiftStarter.pad(shape, shapeWidth) + "  " + dtype
      out += input.statement.isEmpty
        ? columns.replacingOccurrences(of: "  $", with: "", options: .regularExpression) + "\n"
        : hanging(escaped(input.statement), first: columns + "  ")
    }
    out += "\"\"\"\nimport numpy as np\n"
    let parameters = parameters(assignment).joined(separator: ", ")
    for item in assignment.items {
      let shape = item.shape.isEmpty ? "Returns a scalar." : "Returns an array of shape \(SwiftStarter.symbolic(item.symbolicShape))."
      out += "\n\ndef \(item.id)(\(parameters)):\n"
      out += SwiftStarter.comment("\"\"\"" + escaped(item.statement) + ".", prefix: "    ")
      out += "\n    \(shape)\n    \"\"\"\n    # TODO: your code here\n    return None\n"
    }
    out += "\n\n" + runner(items: assignment.items.map(\.id))
    return out
  }

  /// The local runner, the same in every starter and worked solution but for `ITEMS`.
  public static func runner(items: [String]) -> String {
    var list = "ITEMS = ["
    var line = list
    list = ""
    for (k, item) in items.enumerated() {
      let entry = "\"\(item)\"" + (k == items.count - 1 ? "]" : ",")
      if line.count + 1 + entry.count > 100 {
        list += line + "\n"
        line = "    " + entry
      } else {
        line += (line.hasSuffix("[") ? "" : " ") + entry
      }
    }
    list += line + "\n"
    return """
      # The local runner: `python3 solution.py inputs.npz [answers.npz]` calls every function above
      # with the inputs `grade inputs` wrote, prints the shape of each answer, and saves the answers
      # (np.savez) when a second file is given. The grader imports this file and calls the
      # functions itself; it never runs this part.

      \(list)

      def _run_locally(arguments):
          import inspect
          import sys
          if len(arguments) not in (1, 2):
              sys.exit("usage: python3 solution.py inputs.npz [answers.npz]")
          with np.load(arguments[0], allow_pickle=False) as data:
              inputs = {name: data[name] for name in data.files}
          inputs = {name: value[()] if value.ndim == 0 else value for name, value in inputs.items()}
          answers = {}
          for item in ITEMS:
              function = globals()[item]
              wanted = inspect.signature(function).parameters
              try:
                  value = function(**{name: inputs[name] for name in wanted if name in inputs})
              except NotImplementedError:
                  value = None
              if value is None:
                  print("%-20s not answered" % item)
                  continue
              answers[item] = np.asarray(value, dtype=np.float64)
              print("%-20s %s" % (item, "×".join(map(str, answers[item].shape)) or "scalar"))
          if len(arguments) == 2:
              np.savez(arguments[1], **answers)
              print("saved %d answers to %s" % (len(answers), arguments[1]))


      if __name__ == "__main__":
          import sys
          _run_locally(sys.argv[1:])

      """
  }

  /// `text` after `first`, wrapped at 100 columns, continuation lines indented to its start.
  static func hanging(_ text: String, first: String) -> String {
    let indent = String(repeating: " ", count: first.count)
    var lines: [String] = []
    var line = first
    for word in text.split(separator: " ") {
      if line.count > indent.count && line != first && line.count + 1 + word.count > 100 {
        lines.append(line)
        line = indent
      }
      line += (line == first || line == indent ? "" : " ") + word
    }
    lines.append(line)
    return lines.joined(separator: "\n") + "\n"
  }

  /// `text` safe inside a triple-quoted docstring: backslashes doubled, `"""` broken.
  static func escaped(_ text: String) -> String {
    text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"\"\"", with: "\"\\\"\"")
  }
}
