using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Application.Executions;

namespace CodeInterpreter.Application.Tests.Executions;

/// <summary>The rules of <see cref="ExecuteCodeCommand.ProjectFiles"/> and how a valid request's plan carries them.</summary>
public sealed class ProjectFileRulesTests
{
    private static readonly byte[] Binary = [0x00, 0xFF, 0x80, 0x0A];

    private static ExecutionPlan Check(ExecuteCodeCommand command, ExecutionOptions? limits = null)
    {
        var options = limits ?? new ExecutionOptions();
        new ExecuteCodeValidator(Microsoft.Extensions.Options.Options.Create(options)).Validate(command);
        return ExecutionPlan.Of(command, options);
    }

    private static ExecuteCodeCommand Project(params ProjectFile[] files) =>
        new ExecuteCodeCommand(Code: null, Stdin: null, 2000, LastLineInteractive: false, Files: [])
        {
            Entrypoint = "main.py",
            Sources = [new SourceFile("main.py", "print(1)")],
            ProjectFiles = files,
        };

    private static RequestValidationException Refused(ExecuteCodeCommand command, ExecutionOptions? limits = null)
    {
        var check = () => Check(command, limits);
        return check.Should().Throw<RequestValidationException>().Which;
    }

    [Test]
    public void Project_files_become_workspace_files_with_their_bytes()
    {
        var plan = Check(Project(new ProjectFile("data/blob.bin", Binary)));

        var file = plan.Sources.Should().ContainSingle(s => s.Path.Value == "data/blob.bin").Subject;
        file.Content.ToArray().Should().Equal(Binary);
    }

    [Test]
    public void The_entrypoint_may_name_a_project_file()
    {
        var command = new ExecuteCodeCommand(Code: null, Stdin: null, 2000, LastLineInteractive: false, Files: [])
        {
            Entrypoint = "app/run.py",
            ProjectFiles = [new ProjectFile("app/run.py", "print(1)"u8.ToArray())],
        };

        Check(command).Entrypoint.Should().Be("app/run.py");
    }

    [Test]
    public void A_path_given_by_a_source_and_a_project_file_is_refused() =>
        Refused(Project(new ProjectFile("main.py", Binary))).Message.Should().Be("File paths must be unique: 'main.py' is given twice");

    [Test]
    public void A_path_given_twice_is_refused() =>
        Refused(Project(new ProjectFile("a.bin", Binary), new ProjectFile("a.bin", Binary))).Message.Should().Be("File paths must be unique: 'a.bin' is given twice");

    [TestCase("../escape.bin")]
    [TestCase("/etc/passwd")]
    [TestCase("")]
    public void An_invalid_path_is_refused(string path) =>
        Refused(Project(new ProjectFile(path, Binary))).Field.Should().Be("project_files");

    [Test]
    public void More_files_than_the_maximum_per_execution_are_refused() =>
        Refused(Project(new ProjectFile("a.bin", Binary), new ProjectFile("b.bin", Binary)), new ExecutionOptions { MaxFilesPerExecution = 1 })
            .Message.Should().Be("project files exceed maximum of 1 per execution");

    [Test]
    public void More_bytes_than_the_maximum_per_execution_are_refused() =>
        Refused(Project(new ProjectFile("a.bin", new byte[(1024 * 1024) + 1])), new ExecutionOptions { MaxFilesMbPerExecution = 1 })
            .Message.Should().Be("project files exceed maximum of 1 MB per execution");
}
