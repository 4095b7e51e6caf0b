namespace EnrolmentCases.Infrastructure;

/// <summary>
/// What a caller's Idempotency-Key stands for: the request it first came with and, once known, the
/// answer it got. A plain Marten document (mt_doc_idempotencyrecord), written in the same transaction
/// as the request's own writes, so a request that wrote anything always leaves its record behind.
/// </summary>
public sealed class IdempotencyRecord
{
    /// <summary>Hex SHA-256 of the caller's subject and the key: the same key of two callers never meets.</summary>
    public string Id { get; set; } = "";

    /// <summary>Hex SHA-256 of method, path, query, media type and body: what "the same request" means.</summary>
    public string Request { get; set; } = "";

    /// <summary>The request's own writes committed with this record; running it again would write twice.</summary>
    public bool Committed { get; set; }

    /// <summary>
    /// The answer was marked Cache-Control: no-store (it carries personal data) and is not kept; a repeat
    /// runs anew, so it reads current data and an erasure in between is honoured.
    /// </summary>
    public bool Withheld { get; set; }

    /// <summary>The first answer, replayed to every repeat; null while it is being written or when withheld.</summary>
    public StoredAnswer? Answer { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
}

/// <summary>An answer as sent: status, the headers a client relies on, and the body's bytes.</summary>
public sealed record StoredAnswer(int Status, string? ContentType, string? Location, string? ETag, byte[] Body);
