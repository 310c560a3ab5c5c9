import Grader

#if canImport(Glibc)
import Glibc
#endif

exit(GradeCommand.run(arguments: Array(CommandLine.arguments.dropFirst())))
