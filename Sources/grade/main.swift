import Foundation
import GradeCLI

exit(GradeCommand.exitCode(GradeCommand.run(arguments: Array(CommandLine.arguments.dropFirst()))))
