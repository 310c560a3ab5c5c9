import Foundation
import Testing
@testable import Grader

@Suite("How a Python item's process ended, as a sentence")
struct PythonItemEndingTests {
  static let limits = SandboxLimits(wallClockSeconds: 10, cpuSeconds: 10)

  static func sentence(_ ending: String, _ output: String = "", sets: Int = 1) -> String {
    PythonItemEnding.sentence(ending: ending, output: output, limits: limits, inputSets: sets, studentDirectories: ["/sbx/student"])
  }

  @Test("limits read as they do for Swift items, scaled by the number of input sets")
  func limits() {
    #expect(Self.sentence("timeout") == "killed after the 10 s wall-clock limit (an endless loop, or work that never finishes)")
    #expect(Self.sentence("timeout", sets: 2).contains("20 s wall-clock limit of 2 input sets (10 s each"))
    #expect(Self.sentence("signaled \(SIGXCPU)") == "stopped by SIGXCPU at the 10 s CPU-time limit")
    #expect(Self.sentence("signaled \(SIGKILL)").hasPrefix("killed with SIGKILL"))
  }

  @Test("a crash names the student's innermost frame from faulthandler's traceback, never the harness's or a library's")
  func crashLocation() {
    let output = """
      Fatal Python error: Segmentation fault

      Current thread 0x00007f (most recent call first):
        File "/usr/lib/python3.11/ctypes/__init__.py", line 519 in string_at
        File "/sbx/student/solution.py", line 12 in dE
        File "/sbx/student/solution.py", line 30 in helper
        File "/sbx/harness/harness.py", line 540 in answer
      """
    let text = Self.sentence("signaled \(SIGSEGV)", output)
    #expect(text.hasPrefix("crashed with SIGSEGV"))
    #expect(text.hasSuffix(" at solution.py, line 12, in dE"), "\(text)")
  }

  @Test("exits: os._exit(0), another status with the last output, the harness's own failure, a refused reply")
  func exits() {
    #expect(Self.sentence("exited 0") == "exited before returning a value (does the code call os._exit()?)")
    #expect(Self.sentence("exited 3", "one\ntwo\nthree\nfour") == "exited with status 3 before returning a value: two / three / four")
    #expect(Self.sentence("exited 70").hasPrefix("the grading harness could not start the item"))
    #expect(Self.sentence("failed sent an answer for input set 2 while set 1 was expected")
      == "the item's process sent an answer for input set 2 while set 1 was expected")
  }
}
