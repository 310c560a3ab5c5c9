import Testing
@testable import Jacobians

@Test func matrixProductShape() {
  let a = Matrix(rows: 2, cols: 3, repeating: 1)
  let b = Matrix(rows: 3, cols: 4, repeating: 2)
  #expect((a * b).shape == Shape(2, 4))
  #expect((a * b)[0, 0] == 6)
}
