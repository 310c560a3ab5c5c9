import Testing
import Jacobians
import BPTTReference

@Suite struct RNNInputErrorTests {
  @Test func descriptionsAreSentences() {
    let errors: [RNNInputError] = [
      .shapeMismatch(parameter: "U", expected: Shape(7, 4), actual: Shape(4, 7)),
      .shapeMismatch(parameter: "U", expected: Shape(7, 4), actual: Shape(7, 5)),
      .sequenceTooShort(count: 1),
      .tokenOutOfRange(position: 3, token: -1, vocabularySize: 7),
      .invalidTruncationLength(0),
      .stepOutOfRange(step: 9, steps: 5),
      .invalidClippingThreshold(-1),
      .frozenStates(count: 3, expected: 6, hiddenSize: 4),
    ]
    for e in errors {
      #expect(e.description.first!.isUppercase || e.description.first == "U")
      #expect(e.description.hasSuffix("."))
    }
    #expect(errors[0].description == "U has shape 4×7, expected 7×4 (did you transpose?).")
    #expect(errors[1].description == "U has shape 7×5, expected 7×4.")
    #expect(errors[3].description == "Token -1 at position 3 is outside the vocabulary 0..<7.")
  }
}
