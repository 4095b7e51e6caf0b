using System.Text;
using System.Text.Json;
using Marten.Services;
using Microsoft.Extensions.Options;

namespace EnrolmentCases.Audit;

public sealed class ErasureRegisterOptions
{
    public const string Section = "Audit:ErasureRegister";

    /// <summary>
    /// The folder of the erasure register, outside the database and its backups, on storage the
    /// database's administrators cannot rewrite (a mounted volume, a share, a write-once bucket synced
    /// from it). Empty: the anchors' folder (Audit:Anchors:Directory), whose files it sits beside.
    /// Every node of one database must see the same folder.
    /// </summary>
    public string Directory { get; set; } = "";

    /// <summary>How often one node checks the database against the register (besides every start); 0 turns it off.</summary>
    public int IntervalSeconds { get; set; } = 300;

    public static IEnumerable<string> Rules(ErasureRegisterOptions o)
    {
        if (o.IntervalSeconds is < 0 or > 86_400)
            yield return $"IntervalSeconds must be between 0 (only at start) and 86400 (is {o.IntervalSeconds})";
    }
}

/// <summary>
/// One erasure order as the register keeps it: the person by subject id (a MAC of the NIK, never the
/// NIK), the order's id, instant, legal basis and reference.
/// </summary>
public sealed record RegisteredErasure(Guid OrderId, DateTimeOffset OrderedAt, string Subject, string LegalBasis, string Reference);

/// <summary>
/// The register of erasure orders outside the database: one file a day (erasures-yyyy-MM-dd.ndjson,
/// UTC, by the order's instant), one order a line, only ever appended to. A restored backup cannot
/// take an order back out of it, so the orders it holds are carried out again on the restored data
/// (ErasureReapplication). A last line without its line feed is a write cut short and is ignored.
/// </summary>
public sealed class ErasureRegister(IOptions<ErasureRegisterOptions> options, IOptions<AnchorOptions> anchors)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Directory => Path.GetFullPath(string.IsNullOrWhiteSpace(options.Value.Directory) ? anchors.Value.Directory : options.Value.Directory);

    public async Task AppendAsync(IEnumerable<RegisteredErasure> orders, CancellationToken ct)
    {
        System.IO.Directory.CreateDirectory(Directory);
        foreach (var day in orders.GroupBy(o => o.OrderedAt.UtcDateTime.Date))
        {
            var file = Path.Combine(Directory, $"erasures-{day.Key:yyyy-MM-dd}.ndjson");
            var lines = Encoding.UTF8.GetBytes(string.Concat(day.Select(o => JsonSerializer.Serialize(o, Json) + "\n")));
            await using var stream = new FileStream(file, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 4096,
                FileOptions.WriteThrough);
            await stream.WriteAsync(lines, ct);
            await stream.FlushAsync(ct);
        }
    }

    /// <summary>Every order registered so far, once each (by order id); full lines that do not parse come back as problems.</summary>
    public async Task<(List<RegisteredErasure> Orders, List<string> Unreadable)> ReadAllAsync(CancellationToken ct)
    {
        var orders = new Dictionary<Guid, RegisteredErasure>();
        var unreadable = new List<string>();
        if (!System.IO.Directory.Exists(Directory)) return ([], unreadable);
        foreach (var file in System.IO.Directory.GetFiles(Directory, "erasures-*.ndjson").Order(StringComparer.Ordinal))
        {
            var lines = (await File.ReadAllTextAsync(file, ct)).Split('\n');
            // The last element is what follows the last line feed: empty, or a line cut short by a crash.
            for (var i = 0; i < lines.Length - 1; i++)
            {
                if (lines[i].Length == 0) continue;
                try
                {
                    var order = JsonSerializer.Deserialize<RegisteredErasure>(lines[i], Json);
                    if (order is { Subject.Length: 64 } && order.OrderId != Guid.Empty) orders.TryAdd(order.OrderId, order);
                    else unreadable.Add($"{Path.GetFileName(file)} line {i + 1}");
                }
                catch (JsonException)
                {
                    unreadable.Add($"{Path.GetFileName(file)} line {i + 1}");
                }
            }
        }

        return (orders.Values.OrderBy(o => o.OrderedAt).ToList(), unreadable);
    }
}

/// <summary>
/// Appends each erasure order to the register once its transaction has committed: an order that rolls
/// back is never registered. A crash (or a failed write) between the commit and the append loses the
/// line; the next check (ErasureReapplication) finds the order in the database and registers it then.
/// An order started anew by a re-application is registered already and is not appended again.
/// </summary>
public sealed class ErasureRegisterListener(ErasureRegister register, ILogger<ErasureRegisterListener> logger) : DocumentSessionListenerBase
{
    public override async Task AfterCommitAsync(IDocumentSession session, IChangeSet commit, CancellationToken token)
    {
        var events = commit.GetEvents().Select(e => e.Data).ToList();
        var reapplied = events.OfType<ErasureReapplied>().Select(r => r.OrderId).ToHashSet();
        var orders = events.OfType<ErasureOrdered>().Where(o => o.Subject is not null && !reapplied.Contains(o.OrderId))
            .Select(o => new RegisteredErasure(o.OrderId, o.OrderedAt, o.Subject!, o.LegalBasis, o.Reference)).ToList();
        if (orders.Count == 0) return;
        try
        {
            await register.AppendAsync(orders, CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogError(e, "Erasure orders {OrderIds} are carried out but not yet in the register at {Directory}; the next check registers them",
                orders.Select(o => o.OrderId), register.Directory);
        }
    }
}
