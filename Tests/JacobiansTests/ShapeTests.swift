import Testing
import Jacobians

@Suite struct ShapeTests {
  @Test func shapeReadsLikeTheSlides() {
    #expect(Shape(6, 5).description == "6×5")
    #expect(Shape(6, 5).count == 30)
    #expect(Shape(6, 5).transposed == Shape(5, 6))
    #expect(Matrix(rows: 6, cols: 5).shape == Shape(6, 5))
  }

  @Test func shapeErrorIsASentenceNamingBothShapes() {
    let e = ShapeError(operation: "matrix product", lhs: Shape(3, 4), rhs: Shape(5, 2), requirement: "a.cols == b.rows")
    #expect(e.description == "matrix product needs a.cols == b.rows, got 3×4 and 5×2")
    #expect(e == ShapeError(operation: "matrix product", lhs: Shape(3, 4), rhs: Shape(5, 2), requirement: "a.cols == b.rows"))
  }
}
