using System.Text.Json.Serialization;
using EnrolmentCases.Cases;
using EnrolmentCases.Imports;
using EnrolmentCases.Money;

namespace EnrolmentCases.Reconciliations;

/// <summary>What a row of a status file turned out to be.</summary>
public enum Finding
{
    /// <summary>KPJ and NIK name the same case, and it agrees with the insurer.</summary>
    [JsonStringEnumMemberName("inSync")] InSync,
    /// <summary>KPJ and NIK name the same case, which disagrees with the insurer (see drift).</summary>
    [JsonStringEnumMemberName("drift")] Drift,
    /// <summary>Matched, recorded on the case, but the case already shows a report of a later day, which stays.</summary>
    [JsonStringEnumMemberName("olderThanShown")] OlderThanShown,
    /// <summary>Matched, but this file (same SHA-256) was already recorded on the case: nothing new is written.</summary>
    [JsonStringEnumMemberName("alreadyRecorded")] AlreadyRecorded,
    /// <summary>The KPJ, the NIK or both name no case the sender may reconcile.</summary>
    [JsonStringEnumMemberName("unknown")] Unknown,
    /// <summary>The KPJ and the NIK name different cases: nothing is guessed.</summary>
    [JsonStringEnumMemberName("conflict")] Conflict,
    /// <summary>The row breaks the input rules (see reasons).</summary>
    [JsonStringEnumMemberName("invalid")] Invalid
}

public sealed class ReconciliationCounts
{
    /// <summary>Rows whose KPJ and NIK name one case (in sync, drifting, older than shown or already recorded).</summary>
    public int Matched { get; set; }

    /// <summary>Matched rows that disagree with the case.</summary>
    public int Drift { get; set; }

    /// <summary>Rows naming no case, or two different ones.</summary>
    public int Unknown { get; set; }

    public int Invalid { get; set; }
}

/// <summary>Drift per regency of the matched cases.</summary>
public sealed class RegencyDrift
{
    public string Code { get; set; } = "";
    public int ActiveHereInactiveThere { get; set; }
    public int InactiveHereActiveThere { get; set; }
    public int PaidThroughDiffers { get; set; }
}

/// <summary>
/// One status file from BPJS Ketenagakerjaan and its progress; its rows live in chunks (ReconciliationChunk)
/// and their findings in chunk results, so that progress updates stay small. Scope is the set of regencies
/// the sender may reconcile ("province" for all): rows are matched only against cases of those regencies.
/// </summary>
public class Reconciliation
{
    public Guid Id { get; set; }
    public ImportStatus Status { get; set; }
    public string FileName { get; set; } = "";
    public string FileSha256 { get; set; } = "";
    public string Scope { get; set; } = "";
    public List<string> Regencies { get; set; } = [];
    public string SentBy { get; set; } = "";
    public string SentByName { get; set; } = "";
    public List<string> SenderRoles { get; set; } = [];

    /// <summary>The latest reportedOn of the file's valid rows (null until a chunk has one).</summary>
    public DateOnly? ReportedOn { get; set; }

    public int Total { get; set; }
    public int Done { get; set; }
    public int Chunks { get; set; }
    public int ChunksDone { get; set; }
    public ReconciliationCounts Counts { get; set; } = new();
    public List<RegencyDrift> RegencyDrift { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
    public string? Failure { get; set; }
    public DateTimeOffset? FailedAt { get; set; }

    /// <summary>The scope key: the same file sent again for the same regencies is the same reconciliation.</summary>
    public static string KeyFor(string sha256, string scope) => $"{sha256}:{scope}";
}

/// <summary>The claim that makes a file and scope one reconciliation, also when two sends race (a second insert fails).</summary>
public sealed record ReconciliationKey(string Id, Guid ReconciliationId);

/// <summary>Up to Size rows of the file as uploaded: the only place the file's NIKs are kept (erasure blanks them).</summary>
public class ReconciliationChunk
{
    public const int Size = 1_000;

    public string Id { get; set; } = "";
    public Guid ReconciliationId { get; set; }
    public int Index { get; set; }
    public List<StatusLine> Lines { get; set; } = [];

    public static string IdFor(Guid reconciliationId, int index) => $"{reconciliationId:N}:{index:D5}";
}

/// <summary>
/// What one row turned out to be. Ours: the case's stage and paid-through month when the row was matched.
/// Carries no personal data, so an erasure never needs to rewrite findings.
/// </summary>
public sealed record RowFinding(
    int Row,
    Finding Finding,
    Guid? CaseId = null,
    string? RegencyCode = null,
    Drift[]? Drift = null,
    CaseStage? OurStage = null,
    YearMonth? OurPaidThrough = null,
    IReadOnlyList<string>? Reasons = null);

/// <summary>The findings of one chunk, written once by the chunk's transaction (separate from the rows, which erasure may blank meanwhile).</summary>
public class ReconciliationChunkFindings
{
    public string Id { get; set; } = "";
    public Guid ReconciliationId { get; set; }
    public List<RowFinding> Rows { get; set; } = [];
}

/// <summary>The message that processes one chunk; each chunk's transaction also sends the next one.</summary>
public sealed record ReconcileChunk(Guid ReconciliationId, int Index);
