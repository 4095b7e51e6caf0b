using EnrolmentCases.Cases;
using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Identity;
using EnrolmentCases.Imports;
using EnrolmentCases.Lapses;
using EnrolmentCases.Privacy;
using EnrolmentCases.Regencies;
using Wolverine;

namespace EnrolmentCases.Reconciliations;

/// <summary>A matched case changed its KPJ, person or regency between the match and its lock: the chunk is tried again.</summary>
public sealed class CaseChangedWhileMatchingException(Guid caseId) : Exception($"Case {caseId} changed while its row was being matched");

/// <summary>
/// Matches one chunk of a status file to cases and records each finding on its case, in one transaction
/// with the chunk's findings, the reconciliation's progress and the message for the next chunk. A row
/// matches when its KPJ (the case's membership number) and its NIK (by its subject id, never by opening
/// cases) name the same case of the regencies reconciled; anything else is reported, never guessed. The
/// matched cases' streams are locked as every command locks them (SELECT ... FOR UPDATE, in id order) and
/// read after the lock, so a caseworker's command waits for the chunk, or the chunk for it, and neither
/// decides on stale state. A chunk that was already processed is skipped, so a redelivered message changes nothing.
/// </summary>
public static class ReconcileChunkHandler
{
    public static async Task<OutgoingMessages> Handle(ReconcileChunk message, IDocumentSession session, ReferenceData reference, Now now,
        LapsePolicy lapses, PersonalData privacy, CancellationToken ct)
    {
        var next = new OutgoingMessages();
        var reconciliation = await session.LoadAsync<Reconciliation>(message.ReconciliationId, ct);
        var chunkId = ReconciliationChunk.IdFor(message.ReconciliationId, message.Index);
        var chunk = await session.LoadAsync<ReconciliationChunk>(chunkId, ct);
        if (reconciliation is null || chunk is null || await session.LoadAsync<ReconciliationChunkFindings>(chunkId, ct) is not null) return next;

        var findings = new RowFinding?[chunk.Lines.Count];
        var valid = new List<(int Position, StatusRow Row, string Subject)>();
        for (var i = 0; i < chunk.Lines.Count; i++)
        {
            var problems = new List<string>();
            if (StatusFiles.Parse(chunk.Lines[i], reference.NikProvinceCodes, now.Bounds, problems) is { } row)
                valid.Add((i, row, privacy.SubjectOf(row.Nik)));
            else findings[i] = new RowFinding(chunk.Lines[i].Row, Finding.Invalid, Reasons: problems);
        }

        // The candidates of the whole chunk in one query: cases of the regencies reconciled named by a KPJ or a NIK of it.
        var kpjs = valid.Select(v => v.Row.Kpj).Distinct().ToArray();
        var subjects = valid.Select(v => v.Subject).Distinct().ToArray();
        var regencies = reconciliation.Regencies.ToArray();
        var candidates = valid.Count == 0 ? [] : await session.Query<CaseDetails>()
            .Where(c => regencies.Contains(c.RegencyCode) && (kpjs.Contains(c.MembershipNumber) || subjects.Contains(c.Subject)))
            .ToListAsync(ct);

        var matches = new List<(int Position, StatusRow Row, string Subject, Guid CaseId)>();
        foreach (var (position, row, subject) in valid)
        {
            var (caseId, finding) = Match(candidates, row.Kpj, subject);
            if (caseId is { } id) matches.Add((position, row, subject, id));
            else findings[position] = new RowFinding(row.Row, finding!.Value.Finding, Reasons: [finding.Value.Reason]);
        }

        if (matches.Count > 0)
        {
            // Each matched case's stream row locked as a command locks it, in one order so that two chunks never deadlock.
            var ids = matches.Select(m => m.CaseId).Distinct().Order().ToArray();
            await session.BeginTransactionAsync(ct);
            await session.QueryAsync<string>($"select id::text from {session.DocumentStore.Options.Events.DatabaseSchemaName}.mt_streams " +
                                           "where id = any(?) order by id for update", ct, ids);
            var locked = (await session.LoadManyAsync<CaseDetails>(ct, ids)).ToDictionary(c => c.Id);
            var recorded = new Dictionary<Guid, int>();
            foreach (var (position, row, subject, caseId) in matches)
            {
                if (!locked.TryGetValue(caseId, out var details) || details.MembershipNumber != row.Kpj || details.Subject != subject ||
                    !regencies.Contains(details.RegencyCode))
                    throw new CaseChangedWhileMatchingException(caseId);

                if (details.InsurerFiles.Contains(reconciliation.FileSha256) || recorded.ContainsKey(caseId))
                {
                    var earlier = recorded.TryGetValue(caseId, out var first) ? $"row {first} of this file" : "this file (the same SHA-256)";
                    findings[position] = new RowFinding(row.Row, Finding.AlreadyRecorded, caseId, details.RegencyCode,
                        Reasons: [$"{earlier} was already recorded on the case; nothing new was written"]);
                    continue;
                }

                var onTheDay = details.AsOn(now.Today, lapses.GraceMonths);
                var reported = InsurerFindings.Decide(onTheDay, row, reconciliation.Id, reconciliation.FileSha256, now.Instant);
                // At the version read under the lock: the event gets its version here, and the case view with it.
                session.Events.Append(caseId, details.Version + 1, reported);
                recorded[caseId] = row.Row;
                findings[position] = new RowFinding(row.Row, !reported.Applied ? Finding.OlderThanShown : reported.Drift.Length > 0 ? Finding.Drift : Finding.InSync,
                    caseId, details.RegencyCode, reported.Drift, onTheDay.Stage, onTheDay.PaidThrough,
                    reported.Applied ? null : [$"the case shows the insurer's report of {details.Insurer!.ReportedOn:yyyy-MM-dd}, which is later; this one is recorded in its history only"]);
            }
        }

        var results = findings.Select(f => f!).ToList();
        session.Store(new ReconciliationChunkFindings { Id = chunkId, ReconciliationId = reconciliation.Id, Rows = results });
        Tally(reconciliation, results);
        var latest = valid.Select(v => v.Row.ReportedOn).DefaultIfEmpty().Max();
        if (valid.Count > 0 && (reconciliation.ReportedOn is null || latest > reconciliation.ReportedOn)) reconciliation.ReportedOn = latest;
        reconciliation.Done += chunk.Lines.Count;
        reconciliation.ChunksDone++;
        reconciliation.Status = reconciliation.ChunksDone == reconciliation.Chunks ? ImportStatus.Completed : ImportStatus.Running;
        // A failed reconciliation resumes when its dead-lettered chunk is replayed.
        reconciliation.Failure = null;
        reconciliation.FailedAt = null;
        if (reconciliation.Status == ImportStatus.Completed) reconciliation.CompletedAt = now.Instant;
        else next.Add(new ReconcileChunk(reconciliation.Id, message.Index + 1));
        session.Store(reconciliation);

        // Every finding records who sent the file, under the reconciliation as its correlation.
        EventMetadata.Stamp(session, new Caller(reconciliation.SentBy, reconciliation.SentByName, reconciliation.SenderRoles.ToHashSet(),
            reconciliation.Regencies.ToHashSet()), reconciliation.Id.ToString("N"), $"reconciliation {reconciliation.Id:N} chunk {message.Index}");
        session.SetHeader("insurerFile", reconciliation.FileSha256);
        return next;
    }

    /// <summary>
    /// The case a KPJ and a NIK name together among the candidates, or why there is none. Where several cases
    /// carry both (a person's closed case and a later one), the one not closed is meant; two open ones are a conflict.
    /// </summary>
    public static (Guid? CaseId, (Finding Finding, string Reason)? Refused) Match(IReadOnlyList<CaseDetails> candidates, string kpj, string subject)
    {
        var byKpj = candidates.Where(c => c.MembershipNumber == kpj).ToList();
        var byNik = candidates.Where(c => c.Subject == subject).ToList();
        var both = byKpj.Where(c => byNik.Any(n => n.Id == c.Id)).ToList();
        if (both.Count > 1 && both.Count(c => c.Stage != CaseStage.Closed) == 1) both = both.Where(c => c.Stage != CaseStage.Closed).ToList();
        return (byKpj.Count, byNik.Count, both.Count) switch
        {
            (_, _, 1) => (both[0].Id, null),
            (_, _, > 1) => (null, (Finding.Conflict, $"the KPJ and the NIK name {both.Count} open cases together; close the duplicates")),
            (0, 0, _) => (null, (Finding.Unknown, "neither the KPJ nor the NIK names a case in the regencies reconciled")),
            (0, _, _) => (null, (Finding.Unknown, "the KPJ names no case in the regencies reconciled (the NIK does, with another or no KPJ)")),
            (_, 0, _) => (null, (Finding.Unknown, "the NIK names no case in the regencies reconciled (the KPJ does, for another person)")),
            _ => (null, (Finding.Conflict, "the KPJ and the NIK name different cases"))
        };
    }

    private static void Tally(Reconciliation reconciliation, IReadOnlyList<RowFinding> rows)
    {
        foreach (var row in rows)
        {
            switch (row.Finding)
            {
                case Finding.InSync or Finding.Drift or Finding.OlderThanShown or Finding.AlreadyRecorded:
                    reconciliation.Counts.Matched++;
                    break;
                case Finding.Unknown or Finding.Conflict:
                    reconciliation.Counts.Unknown++;
                    break;
                default:
                    reconciliation.Counts.Invalid++;
                    break;
            }

            if (row.Finding != Finding.Drift) continue;
            reconciliation.Counts.Drift++;
            var regency = reconciliation.RegencyDrift.FirstOrDefault(r => r.Code == row.RegencyCode);
            if (regency is null) reconciliation.RegencyDrift.Add(regency = new RegencyDrift { Code = row.RegencyCode! });
            if (row.Drift!.Contains(Drift.ActiveHereInactiveThere)) regency.ActiveHereInactiveThere++;
            if (row.Drift!.Contains(Drift.InactiveHereActiveThere)) regency.InactiveHereActiveThere++;
            if (row.Drift!.Contains(Drift.PaidThroughDiffers)) regency.PaidThroughDiffers++;
        }
    }
}
