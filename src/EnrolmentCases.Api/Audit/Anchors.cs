using System.Text;
using System.Text.Json;
using EnrolmentCases.Infrastructure;
using Microsoft.Extensions.Options;
using Wolverine.Runtime.Agents;

namespace EnrolmentCases.Audit;

public sealed class AnchorOptions
{
    public const string Section = "Audit:Anchors";

    /// <summary>
    /// Where the chain's head is published, outside the database: a folder of daily files that are
    /// only ever appended to (a mounted volume, a share, a write-once bucket synced from it). Every
    /// node of one database must see the same folder. Relative paths start at the working directory.
    /// </summary>
    public string Directory { get; set; } = Path.Combine(".data", "audit-anchors");

    /// <summary>How often the sealed head is published when it moved; 0 turns publishing off on this node.</summary>
    public int IntervalSeconds { get; set; } = 60;

    public static IEnumerable<string> Rules(AnchorOptions o)
    {
        if (string.IsNullOrWhiteSpace(o.Directory)) yield return "Directory must name the folder anchors are published to";
        if (o.IntervalSeconds is < 0 or > 300)
            yield return $"IntervalSeconds must be between 0 (off) and 300: the head is published at least every five minutes (is {o.IntervalSeconds})";
    }
}

/// <summary>A published head of the chain: the link at this sequence had this hash.</summary>
public sealed record PublishedAnchor(long Sequence, string Hash, DateTimeOffset PublishedAt);

/// <summary>
/// The append-only sink: one file a day (anchors-yyyy-MM-dd.ndjson, UTC), one anchor a line. Lines
/// are appended, never rewritten; a last line without its line feed is a write cut short and is
/// ignored.
/// </summary>
public sealed class AnchorSink(IOptions<AnchorOptions> options)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Directory => Path.GetFullPath(options.Value.Directory);

    public async Task AppendAsync(PublishedAnchor anchor, CancellationToken ct)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var file = Path.Combine(Directory, $"anchors-{anchor.PublishedAt.UtcDateTime:yyyy-MM-dd}.ndjson");
        var line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(anchor, Json) + "\n");
        await using var stream = new FileStream(file, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 4096, FileOptions.WriteThrough);
        await stream.WriteAsync(line, ct);
        await stream.FlushAsync(ct);
    }

    /// <summary>Every anchor published so far, oldest file first; lines that do not parse come back as problems.</summary>
    public async Task<(List<PublishedAnchor> Anchors, List<string> Unreadable)> ReadAllAsync(CancellationToken ct)
    {
        var anchors = new List<PublishedAnchor>();
        var unreadable = new List<string>();
        if (!System.IO.Directory.Exists(Directory)) return (anchors, unreadable);
        foreach (var file in System.IO.Directory.GetFiles(Directory, "anchors-*.ndjson").Order(StringComparer.Ordinal))
        {
            var text = await File.ReadAllTextAsync(file, ct);
            var lines = text.Split('\n');
            // The last element is what follows the last line feed: empty, or a line cut short by a crash.
            for (var i = 0; i < lines.Length - 1; i++)
            {
                if (lines[i].Length == 0) continue;
                try
                {
                    var anchor = JsonSerializer.Deserialize<PublishedAnchor>(lines[i], Json);
                    if (anchor is { Sequence: > 0, Hash.Length: 64 }) anchors.Add(anchor);
                    else unreadable.Add($"{Path.GetFileName(file)} line {i + 1}");
                }
                catch (JsonException)
                {
                    unreadable.Add($"{Path.GetFileName(file)} line {i + 1}");
                }
            }
        }

        return (anchors, unreadable);
    }
}

/// <summary>Publishes the sealed head to the sink when it moved since the last anchor this process published.</summary>
public sealed class AnchorPublisher(IDocumentStore store, AnchorSink sink, TimeProvider clock, ILogger<AnchorPublisher> logger)
{
    private readonly SemaphoreSlim _one = new(1, 1);
    private long _published = -1;

    public async Task<PublishedAnchor?> PublishAsync(CancellationToken ct)
    {
        await _one.WaitAsync(ct);
        try
        {
            await using var session = store.QuerySession();
            var head = await session.Query<AuditLink>().OrderByDescending(l => l.Id).FirstOrDefaultAsync(ct);
            if (head is null || head.Id == _published) return null;
            var anchor = new PublishedAnchor(head.Id, head.Hash, clock.GetUtcNow());
            await sink.AppendAsync(anchor, ct);
            _published = head.Id;
            logger.LogInformation("Published the audit chain's head {Sequence}:{Hash} to {Directory}", anchor.Sequence, anchor.Hash, sink.Directory);
            return anchor;
        }
        finally
        {
            _one.Release();
        }
    }
}

/// <summary>Publishes anchors every Audit:Anchors:IntervalSeconds on exactly one node, like the sealer.</summary>
public sealed class AnchorPublisherAgent(AnchorPublisher publisher, IOptions<AnchorOptions> options, ILogger<AnchorPublisherAgent> logger)
    : SingularAgent("audit-anchors")
{
    private readonly BackgroundLoop _loop = new(logger, "Publishing the audit chain's head");

    protected override Task startAsync(CancellationToken cancellationToken)
    {
        var seconds = options.Value.IntervalSeconds;
        if (seconds > 0) _loop.Start(TimeSpan.FromSeconds(seconds), ct => publisher.PublishAsync(ct));
        return Task.CompletedTask;
    }

    protected override Task stopAsync(CancellationToken cancellationToken) => _loop.StopAsync();
}
