/// The `grade` command line: parses the arguments, calls the library, prints, returns the exit code.
public enum GradeCommand {
  public static func run(arguments: [String]) -> Int32 {
    print("Usage: grade <subcommand>")
    return 0
  }
}
