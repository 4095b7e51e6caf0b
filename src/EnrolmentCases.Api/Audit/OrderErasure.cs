using EnrolmentCases.Cases;
using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Identity;
using EnrolmentCases.Imports;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Privacy;
using EnrolmentCases.Reconciliations;
using EnrolmentCases.Regencies;

namespace EnrolmentCases.Audit;

/// <summary>A lawful erasure order (UU 27/2022): the NIK travels in the body, never the URL, and is stored nowhere.</summary>
public record OrderErasure(string? Nik, string? LegalBasis, string? Reference);

/// <summary>The same answer whether or not anything was held about the person: an admin does not read cases.</summary>
public sealed record ErasureAccepted(Guid Id, DateTimeOffset OrderedAt);

/// <summary>
/// The order itself, in a stream of its own: why and on what authority; who is in its metadata. No
/// personal data: the person is named by their subject id (a MAC of the NIK), which the erased case
/// events carry too, so that the erasure register can be rebuilt from it (ADR 0017). Orders recorded
/// before the register existed have no Subject.
/// </summary>
public record ErasureOrdered(Guid OrderId, string LegalBasis, string Reference, DateTimeOffset OrderedAt, string? Subject = null);

/// <summary>
/// An order carried out again, because the database held the person's data once more (a restored
/// backup): appended to the order's stream, or starting it anew after the order itself, when the
/// restore lost it too.
/// </summary>
public record ErasureReapplied(Guid OrderId, DateTimeOffset ReappliedAt);

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
    /// of their cases, which nulls the case views; frees the NIK's claim; and blanks their import rows and status file rows.
    /// </summary>
    [WolverinePost("/api/audit/erasures", OperationId = "OrderErasure", Summary = "Carry out a lawful erasure order",
        Description = "Erases one person's NIK, name, phone, district and village everywhere the service holds them (cases, their history, import rows, rows of insurer status files), keeping stages, dates, money, counts and the audit chain. Answers 201 with the order's id, the same whether or not anything was held.")]
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

        var erased = new PersonalDataErased(orderId, legalBasis, reference, now.Instant);
        var cases = await PersonErasure.EraseAsync(session, subject, await PersonErasure.CasesOfAsync(session, subject, ct), erased, ct);
        var rows = await ImportRowErasure.EraseAsync(session, command.Nik!, ct) + await ReconciliationRowErasure.EraseAsync(session, command.Nik!, ct);
        session.Events.StartStream(orderId, new ErasureOrdered(orderId, legalBasis, reference, now.Instant, subject));

        // Once this transaction commits, ErasureRegisterListener appends the order to the register outside the database.
        logger.LogInformation("Erasure order {OrderId} carried out: {Cases} cases, {Rows} import and status file rows", orderId, cases, rows);
        return Results.Created((string?)null, new ErasureAccepted(orderId, now.Instant));
    }
}

/// <summary>
/// The steps that erase one person in the database, shared by an order and by its re-application
/// after a restore (ErasureReapplication): each still-linked case gets PersonalDataErased under its
/// row lock, and the person's key and open-case claim are deleted. Import rows are ImportRowErasure's.
/// </summary>
public static class PersonErasure
{
    /// <summary>The cases whose view still links them to the person: the ones an erasure has not reached.</summary>
    public static async Task<IReadOnlyList<Guid>> CasesOfAsync(IQuerySession session, string subject, CancellationToken ct) =>
        await session.Query<CaseDetails>().Where(c => c.Subject == subject).Select(c => c.Id).ToListAsync(ct);

    /// <summary>Erases the person: the erasure event on each of the cases given (those still linked to them), their key and claim deleted.</summary>
    /// <returns>How many cases got the erasure event.</returns>
    public static async Task<int> EraseAsync(IDocumentSession session, string subject, IEnumerable<Guid> cases, PersonalDataErased erased,
        CancellationToken ct)
    {
        var marked = await MarkCasesAsync(session, cases, erased, ct);
        session.Delete<PersonKey>(subject);
        session.Delete<OpenCaseClaim>(subject);
        return marked;
    }

    /// <summary>The erasure event on each case, under its row lock, unless the case is erased already.</summary>
    public static async Task<int> MarkCasesAsync(IDocumentSession session, IEnumerable<Guid> cases, PersonalDataErased erased, CancellationToken ct)
    {
        var marked = 0;
        foreach (var caseId in cases)
        {
            // Under the case's row lock, as every command on it: a concurrent command waits, and the view's version stays exact.
            var stream = await session.Events.FetchForExclusiveWriting<Case>(caseId, ct);
            // Erased meanwhile (by a concurrent order or re-application): one erasure event per erasure.
            if (stream.Aggregate?.Subject is null) continue;
            CaseAccess.HandTail(session, stream.Aggregate);
            stream.AppendOne(erased);
            marked++;
        }

        return marked;
    }
}
