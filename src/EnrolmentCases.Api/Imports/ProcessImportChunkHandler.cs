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
        Now now, ImportMetrics metrics, PersonalData privacy, CancellationToken ct)
    {
        var next = new OutgoingMessages();
        var import = await session.LoadAsync<Import>(message.ImportId, ct);
        var chunk = await session.LoadAsync<ImportChunk>(ImportChunk.IdFor(message.ImportId, message.Index), ct);
        if (import is null || chunk is null || chunk.Results is not null) return next;

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

        // Claims and data keys are keyed by each NIK's subject id (its MAC): two queries for the whole chunk.
        var subjects = valid.ToDictionary(v => v.Position, v => privacy.SubjectOf(v.Command.Nik!));
        var claims = (await session.LoadManyAsync<OpenCaseClaim>(ct, subjects.Values.Distinct())).ToDictionary(c => c.Id);
        var toOpen = valid.Where(v => !claims.ContainsKey(subjects[v.Position])).Select(v => subjects[v.Position]);
        var (seals, newKeys) = await privacy.SealsForAsync(session, toOpen, now.Instant, ct);
        // A person's first case brings their data key, in this chunk's transaction (stored: the claim decides races, as in POST /api/cases).
        foreach (var key in newKeys) session.Store(key);
        // A duplicate names the existing case only when the importer may see it, as POST /api/cases does.
        var importerCaller = Caller.From(importer);
        foreach (var (position, command) in valid)
        {
            var row = chunk.Rows[position].Row;
            var subject = subjects[position];
            if (claims.TryGetValue(subject, out var existing))
            {
                results[position] = new RowResult(row, RowOutcome.Duplicate,
                    importerCaller.CanSeeCasesOf(existing.RegencyCode) ? existing.CaseId : null);
                continue;
            }

            // The same opening as POST /api/cases: the case's stream and the claim on the NIK.
            var caseId = Guid.CreateVersion7(now.Instant);
            var (stream, claim) = IdentifyWorkerEndpoint.Open(command, caseId, now, seals[subject]);
            stream.Execute(session);
            claim.Execute(session);
            claims[subject] = new OpenCaseClaim(subject, caseId, command.RegencyCode!);
            results[position] = new RowResult(row, RowOutcome.Created, caseId);
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

        // Every case this chunk opens records who imported it, from which import, and why.
        EventMetadata.Stamp(session, new Caller(import.ImportedBy, import.ImportedByName, new HashSet<string> { Roles.Caseworker }, import.ImporterRegencies.ToHashSet()),
            import.Id.ToString("N"), $"import {import.Id:N} chunk {message.Index}");
        session.SetHeader("listSource", import.ListSource ?? import.FileName);
        return next;
    }

    private static IEnumerable<string> Reasons(ProblemDetails problem) => problem switch
    {
        _ when problem == WolverineContinue.NoProblems => [],
        ValidationProblemDetails v => v.Errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}")),
        _ => [$"regencyCode: {problem.Detail}"]
    };
}
