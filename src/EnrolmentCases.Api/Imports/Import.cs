using System.Text.Json.Serialization;

namespace EnrolmentCases.Imports;

public enum ImportStatus
{
    [JsonStringEnumMemberName("queued")] Queued,
    [JsonStringEnumMemberName("running")] Running,
    [JsonStringEnumMemberName("completed")] Completed,
    [JsonStringEnumMemberName("failed")] Failed
}

public enum RowOutcome
{
    [JsonStringEnumMemberName("created")] Created,
    [JsonStringEnumMemberName("duplicate")] Duplicate,
    [JsonStringEnumMemberName("invalid")] Invalid
}

public sealed class ImportCounts
{
    public int Created { get; set; }
    public int Duplicate { get; set; }
    public int Invalid { get; set; }
}

/// <summary>An import's progress; its rows live in chunks so that progress updates stay small.</summary>
public class Import
{
    public Guid Id { get; set; }
    public ImportStatus Status { get; set; }
    public string FileName { get; set; } = "";
    public string FileSha256 { get; set; } = "";
    public string? ListSource { get; set; }
    public string ImportedBy { get; set; } = "";
    public string ImportedByName { get; set; } = "";
    public List<string> ImporterRegencies { get; set; } = [];
    public List<string> Columns { get; set; } = [];
    public int Total { get; set; }
    public int Done { get; set; }
    public int Chunks { get; set; }
    public int ChunksDone { get; set; }
    public ImportCounts Counts { get; set; } = new();
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>Why a failed import stopped, for the user.</summary>
    public string? Failure { get; set; }

    public DateTimeOffset? FailedAt { get; set; }
}

public sealed record RowResult(int Row, RowOutcome Outcome, Guid? CaseId = null, IReadOnlyList<string>? Reasons = null);

/// <summary>Up to ChunkSize rows of the file, and once processed, their outcomes.</summary>
public class ImportChunk
{
    public const int Size = 1_000;

    public string Id { get; set; } = "";
    public Guid ImportId { get; set; }
    public int Index { get; set; }
    public List<ListRow> Rows { get; set; } = [];
    public List<RowResult>? Results { get; set; }

    public static string IdFor(Guid importId, int index) => $"{importId:N}:{index:D5}";
}

/// <summary>The message that processes one chunk; each chunk's transaction also sends the next one.</summary>
public sealed record ProcessImportChunk(Guid ImportId, int Index);
