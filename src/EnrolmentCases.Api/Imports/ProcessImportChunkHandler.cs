using System.Security.Claims;
using EnrolmentCases.Cases;
using EnrolmentCases.Cases.Identifying;
using EnrolmentCases.Identity;
using EnrolmentCases.Privacy;
using EnrolmentCases.Regencies;
using Wolverine;

namespace EnrolmentCases.Imports;

/// <summary>
/// Turns one chunk of an import into cases, in one transaction with the chunk's outcomes, the
/// import's progress and the message for the next chunk. A chunk that was already processed is
/// skipped, so a redelivered message (after a crash) changes nothing; a row whose worker already
/// has an open case, from an earlier import, this one or one running at the same moment, is a
/// duplicate, never a second case.
/// </summary>
public static class ProcessImportChunkHandler
{
    public static async Task<OutgoingMessages> Handle(ProcessImportChunk message, IDocumentSession session, ReferenceData reference,
        Now now, ImportMetrics metrics, PersonalData privacy, BulkOpening bulk, CancellationToken ct)
    {
        var next = new OutgoingMessages();
        var timings = new ChunkTimings();
        var import = await session.LoadAsync<Import>(message.ImportId, ct);
        var chunk = await session.LoadAsync<ImportChunk>(ImportChunk.IdFor(message.ImportId, message.Index), ct);
        if (import is null || chunk is null || chunk.Results is not null) return next;
        timings.Lap("load");

        var importer = new ClaimsPrincipal(new ClaimsIdentity(
            import.ImporterRegencies.Select(r => new Claim(ClaimNames.Regency, r)).Append(new Claim(ClaimNames.Role, Roles.Caseworker)),
            "import"));
        var list = new ParsedList(import.Columns, chunk.Rows);

        var results = new RowResult?[chunk.Rows.Count];
        var valid = new List<(int Position, IdentifyWorker Command)>();
        for (var i = 0; i < chunk.Rows.Count; i++)
        {
            var problems = new List<string>();
            var command = WorkerList.ToCommand(list, chunk.Rows[i], problems);
            // A field the file itself explains (a NIK a spreadsheet turned into a number) is not also reported as malformed.
            var explained = problems.Select(p => p.Split(':')[0]).ToHashSet();
            problems.AddRange(Reasons(IdentifyWorkerEndpoint.Validate(command, reference)).Where(r => !explained.Contains(r.Split(':')[0])));
            if (problems.Count == 0) problems.AddRange(Reasons(IdentifyWorkerEndpoint.Before(command, importer, reference)));
            if (problems.Count > 0) results[i] = new RowResult(chunk.Rows[i].Row, RowOutcome.Invalid, Reasons: problems);
            else valid.Add((i, command));
        }

        timings.Lap("validate");

        // Every case this chunk opens records who imported it, from which import, and why (read again by the bulk writer).
        EventMetadata.Stamp(session, new Caller(import.ImportedBy, import.ImportedByName, new HashSet<string> { Roles.Caseworker }, import.ImporterRegencies.ToHashSet()),
            import.Id.ToString("N"), $"import {import.Id:N} chunk {message.Index}");
        session.SetHeader("listSource", import.ListSource ?? import.FileName);

        // Claims, keys and cases are written set-wise in the chunk's transaction (ADR 0027): the first row of a NIK in
        // the chunk bids for its claim, later rows of the same NIK are duplicates of it.
        await session.BeginTransactionAsync(ct);
        timings.Lap("begin");
        var subjects = valid.ToDictionary(v => v.Position, v => privacy.SubjectOf(v.Command.Nik!));
        timings.Lap("subjects");
        var bids = valid.GroupBy(v => subjects[v.Position]).Select(g => g.First())
            .Select(v => (v.Position, v.Command, Claim: new OpenCaseClaim(subjects[v.Position], Guid.CreateVersion7(now.Instant), v.Command.RegencyCode!)))
            .ToList();
        var taken = await bulk.ClaimAsync(session, bids.Select(b => b.Claim).ToList(), ct);
        timings.Lap("claim");
        // Those claimed before (committed by now: a claim still being written made the insert wait for its outcome).
        var lost = bids.Where(b => !taken.Contains(b.Claim.Id)).Select(b => b.Claim.Id).ToArray();
        var claims = lost.Length == 0 ? new Dictionary<string, OpenCaseClaim>()
            : (await session.LoadManyAsync<OpenCaseClaim>(ct, lost)).ToDictionary(c => c.Id);
        var won = bids.Where(b => taken.Contains(b.Claim.Id)).ToList();
        timings.Lap("duplicates");
        var (seals, newKeys) = await privacy.SealsForAsync(session, won.Select(b => b.Claim.Id), now.Instant, ct);
        timings.Lap("keys");
        // A person's first case brings their data key, in this chunk's transaction.
        await bulk.InsertKeysAsync(session, newKeys, ct);
        timings.Lap("insertKeys");
        var openings = new List<Opening>(won.Count);
        foreach (var (position, command, claim) in won)
        {
            // The same opening as POST /api/cases: its events, sealed under the person's key.
            var (stream, _) = IdentifyWorkerEndpoint.Open(command, claim.CaseId, now, seals[claim.Id]);
            openings.Add(new Opening(claim.CaseId, claim, stream.Events.ToList(), seals[claim.Id]));
            claims[claim.Id] = claim;
            results[position] = new RowResult(chunk.Rows[position].Row, RowOutcome.Created, claim.CaseId);
        }

        timings.Lap("seal");
        await bulk.WriteAsync(session, openings, now.Instant, ct, timings);

        // A duplicate names the existing case only when the importer may see it, as POST /api/cases does.
        var importerCaller = Caller.From(importer);
        foreach (var (position, _) in valid.Where(v => results[v.Position] is null))
        {
            var existing = claims.GetValueOrDefault(subjects[position]);
            results[position] = new RowResult(chunk.Rows[position].Row, RowOutcome.Duplicate,
                existing is not null && importerCaller.CanSeeCasesOf(existing.RegencyCode) ? existing.CaseId : null);
        }

        chunk.Results = results.Select(r => r!).ToList();
        session.Store(chunk);
        metrics.CountOnCommit(session, chunk.Results);

        import.Counts.Created += chunk.Results.Count(r => r.Outcome == RowOutcome.Created);
        import.Counts.Duplicate += chunk.Results.Count(r => r.Outcome == RowOutcome.Duplicate);
        import.Counts.Invalid += chunk.Results.Count(r => r.Outcome == RowOutcome.Invalid);
        import.Done += chunk.Rows.Count;
        import.ChunksDone++;
        import.Status = import.ChunksDone == import.Chunks ? ImportStatus.Completed : ImportStatus.Running;
        // A failed import resumes when its dead-lettered chunk is replayed.
        import.Failure = null;
        import.FailedAt = null;
        if (import.Status == ImportStatus.Completed) import.CompletedAt = now.Instant;
        else next.Add(new ProcessImportChunk(import.Id, message.Index + 1));
        session.Store(import);
        timings.Lap("results");
        bulk.Log(import.Id, message.Index, chunk.Rows.Count, timings);
        return next;
    }

    private static IEnumerable<string> Reasons(ProblemDetails problem) => problem switch
    {
        _ when problem == WolverineContinue.NoProblems => [],
        ValidationProblemDetails v => v.Errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}")),
        _ => [$"regencyCode: {problem.Detail}"]
    };
}
