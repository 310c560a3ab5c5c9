import Foundation

// The elementary functions the grader uses, named apart from the references' own.
@inline(__always) func _exp(_ x: Double) -> Double { Foundation.exp(x) }
@inline(__always) func _log(_ x: Double) -> Double { Foundation.log(x) }
