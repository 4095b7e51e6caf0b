using EnrolmentCases.Infrastructure;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// Release builds load Wolverine's handler code from src/EnrolmentCases.Api/Internal/Generated
/// instead of generating it at start-up. Code that no longer matches the endpoints, handlers and
/// middleware would fail the start (a new endpoint) or, worse, run the old pipeline (a changed one):
/// the application generates its code afresh here and it must equal what is committed.
/// </summary>
[Collection(ProjectionCommandsCollection.Name)]
public class GeneratedCodeIsCurrent
{
    private static string Committed()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "EnrolmentCases.sln")))
                return Path.Combine(dir.FullName, "src", "EnrolmentCases.Api", "Internal", "Generated");
        throw new InvalidOperationException("The tests run inside the repository.");
    }

    private static Dictionary<string, string> Files(string root) =>
        Directory.Exists(root)
            ? Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
                .ToDictionary(f => Path.GetRelativePath(root, f).Replace('\\', '/'), File.ReadAllText)
            : [];

    [Fact]
    public async Task the_committed_generated_code_is_what_the_application_generates_now()
    {
        var scratch = Directory.CreateTempSubdirectory("enrolment-codegen-");
        try
        {
            // The command reads its settings from the content root, like the application's own folder.
            foreach (var settings in Directory.EnumerateFiles(Path.GetDirectoryName(ApiProcess.Location)!, "appsettings*.json"))
                File.Copy(settings, Path.Combine(scratch.FullName, Path.GetFileName(settings)));
            var run = await ApiProcess.RunAsync(null, "codegen", "write", "--contentroot", scratch.FullName);
            Assert.True(run.ExitCode == 0, run.ToString());

            var fresh = Files(Path.Combine(scratch.FullName, "Internal", "Generated"));
            var committed = Files(Committed());
            Assert.True(fresh.Count > 10, $"codegen write produced {fresh.Count} files:\n{run}");
            var stale = fresh.Keys.Union(committed.Keys)
                .Where(f => !fresh.TryGetValue(f, out var now) || !committed.TryGetValue(f, out var then) || now != then)
                .Order()
                .ToList();
            Assert.True(stale.Count == 0,
                $"The generated code under src/EnrolmentCases.Api/Internal/Generated is out of date: run {GeneratedCode.Regenerate} " +
                $"and commit the result. Differing, missing or extra: {string.Join(", ", stale)}");
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }
}
