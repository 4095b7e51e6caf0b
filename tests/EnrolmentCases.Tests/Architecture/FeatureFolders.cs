using System.Text.RegularExpressions;

namespace EnrolmentCases.Tests.Architecture;

/// <summary>
/// The feature folders (one namespace each) depend on each other in one direction only, so each can
/// be read, changed and moved without the others. Read from the source, so a new cycle fails here.
/// </summary>
public partial class FeatureFolders
{
    [GeneratedRegex(@"^namespace\s+([\w.]+)\s*;", RegexOptions.Multiline)]
    private static partial Regex Namespace();

    [GeneratedRegex(@"\bEnrolmentCases(?:\.\w+)+")]
    private static partial Regex Reference();

    private static Dictionary<string, HashSet<string>> Dependencies()
    {
        var root = Path.Combine(RepositoryRoot(), "src", "EnrolmentCases.Api");
        var files = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}") &&
                        !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .Select(f => (Text: File.ReadAllText(f), Namespace: Namespace().Match(File.ReadAllText(f)).Groups[1].Value))
            .Where(f => f.Namespace.Length > 0)
            .ToList();
        var known = files.Select(f => f.Namespace).ToHashSet();
        var graph = known.ToDictionary(n => n, _ => new HashSet<string>());
        foreach (var (text, ns) in files)
        {
            foreach (Match reference in Reference().Matches(text))
            {
                var parts = reference.Value.Split('.');
                var target = Enumerable.Range(2, parts.Length - 1).Reverse()
                    .Select(n => string.Join('.', parts.Take(n))).FirstOrDefault(known.Contains);
                if (target is not null && target != ns) graph[ns].Add(target);
            }
        }

        return graph;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "EnrolmentCases.sln"))) return dir.FullName;
        throw new InvalidOperationException("The tests run inside the repository.");
    }

    /// <summary>A path from a namespace back to itself, if there is one.</summary>
    private static List<string>? CycleThrough(string start, IReadOnlyDictionary<string, HashSet<string>> graph)
    {
        var queue = new Queue<List<string>>(graph[start].Select(n => new List<string> { start, n }));
        var seen = new HashSet<string>();
        while (queue.TryDequeue(out var path))
        {
            if (path[^1] == start) return path;
            if (!seen.Add(path[^1])) continue;
            foreach (var next in graph[path[^1]]) queue.Enqueue([.. path, next]);
        }

        return null;
    }

    [Fact]
    public void no_feature_folder_depends_on_itself_through_others()
    {
        var graph = Dependencies();
        Assert.True(graph.Count > 15, "the source tree was found and read");
        var cycles = graph.Keys.Select(n => CycleThrough(n, graph)).OfType<List<string>>().Select(c => string.Join(" -> ", c)).ToList();
        Assert.True(cycles.Count == 0, "cycles between feature folders:\n" + string.Join("\n", cycles));
    }

    [Fact]
    public void infrastructure_knows_no_feature()
    {
        var features = Dependencies()["EnrolmentCases.Infrastructure"];
        Assert.Empty(features);
    }
}
