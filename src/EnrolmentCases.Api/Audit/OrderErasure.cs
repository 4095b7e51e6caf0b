using EnrolmentCases.Cases;
using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Identity;
using EnrolmentCases.Imports;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Privacy;
using EnrolmentCases.Regencies;

namespace EnrolmentCases.Audit;

/// <summary>A lawful erasure order (UU 27/2022): the NIK travels in the body, never the URL, and is stored nowhere.</summary>
public record OrderErasure(string? Nik, string? LegalBasis, string? Reference);

/// <summary>The same answer whether or not anything was held about the person: an admin does not read cases.</summary>
public sealed record ErasureAccepted(Guid Id, DateTimeOffset OrderedAt);

/// <summary>The order itself, in a stream of its own: why and on what authority; who is in its metadata. No personal data.</summary>
public record ErasureOrdered(Guid OrderId, string LegalBasis, string Reference, DateTimeOffset OrderedAt);

public static class OrderErasureEndpoint
{
    public static ProblemDetails Validate(OrderErasure? command, ReferenceData reference) => ValidationErrors.Check(command, (c, errors) =>
    {
        foreach (var problem in Nik.Problems(c.Nik, reference.NikProvinceCodes)) errors.Add("nik", problem);
        errors.Required("legalBasis", c.LegalBasis);
        errors.Text("legalBasis", c.LegalBasis, 500);
        errors.Required("reference", c.Reference);
        errors.Text("reference", c.Reference, 200);
    });

    /// <summary>
    /// Destroys the person's data key, which makes every sealed field of theirs unreadable for good
    /// (events stay byte-identical, so the audit chain still verifies); records the erasure on each
    /// of their cases, which nulls the case views; frees the NIK's claim; and blanks their import rows.
    /// </summary>
    [WolverinePost("/api/audit/erasures", OperationId = "OrderErasure", Summary = "Carry out a lawful erasure order",
        Description = "Erases one person's NIK, name, phone, district and village everywhere the service holds them (cases, their history, import rows), keeping stages, dates, money, counts and the audit chain. Answers 201 with the order's id, the same whether or not anything was held.")]
    [Tags("Audit"), Authorize(Roles = Roles.Admin)]
    [ProducesResponseType<ErasureAccepted>(201)]
    [ProducesResponseType<ProblemDetails>(400, "application/problem+json")]
    public static async Task<IResult> Post(OrderErasure command, IDocumentSession session, PersonalData privacy, Now now,
        ILogger<OrderErasure> logger, CancellationToken ct)
    {
        var orderId = Guid.CreateVersion7(now.Instant);
        var (legalBasis, reference) = (command.LegalBasis!.Trim(), command.Reference!.Trim());
        var subject = privacy.SubjectOf(command.Nik!);
        // One transaction from the first read: an outage answers 503 at once (no read retried inside a request).
        await session.BeginTransactionAsync(ct);

        var cases = await session.Query<CaseDetails>().Where(c => c.Subject == subject).Select(c => c.Id).ToListAsync(ct);
        foreach (var caseId in cases)
        {
            // Under the case's row lock, as every command on it: a concurrent command waits, and the view's version stays exact.
            var stream = await session.Events.FetchForExclusiveWriting<Case>(caseId, ct);
            stream.AppendOne(new PersonalDataErased(orderId, legalBasis, reference, now.Instant));
        }
        session.Delete<PersonKey>(subject);
        session.Delete<OpenCaseClaim>(subject);
        var rows = await ImportRowErasure.EraseAsync(session, command.Nik!, ct);
        session.Events.StartStream(orderId, new ErasureOrdered(orderId, legalBasis, reference, now.Instant));

        logger.LogInformation("Erasure order {OrderId} carried out: {Cases} cases, {Rows} import rows", orderId, cases.Count, rows);
        return Results.Created((string?)null, new ErasureAccepted(orderId, now.Instant));
    }
}
