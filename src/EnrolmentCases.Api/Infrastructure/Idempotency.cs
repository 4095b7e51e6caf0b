using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using JasperFx;
using Marten.Services;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace EnrolmentCases.Infrastructure;

/// <summary>How long a key is remembered and how long a repeat waits for the first answer (appsettings.json, "Idempotency").</summary>
public sealed class IdempotencyOptions
{
    public const string Section = "Idempotency";

    /// <summary>A key and its answer are kept this long after the first request (the contract says 24 hours).</summary>
    public int RetentionHours { get; set; } = 24;

    /// <summary>A repeat arriving while the first request is still being answered waits this long for its answer, then gets 409.</summary>
    public int WaitMilliseconds { get; set; } = 10_000;

    /// <summary>Expired records are deleted this often (on every node; deleting is idempotent).</summary>
    public int CleanupMinutes { get; set; } = 15;

    public static IEnumerable<string> Rules(IdempotencyOptions o)
    {
        if (o.RetentionHours is < 1 or > 24 * 30) yield return $"RetentionHours must be from 1 to 720 (is {o.RetentionHours})";
        if (o.WaitMilliseconds is < 0 or > 120_000) yield return $"WaitMilliseconds must be from 0 to 120000 (is {o.WaitMilliseconds})";
        if (o.CleanupMinutes is < 1 or > 24 * 60) yield return $"CleanupMinutes must be from 1 to 1440 (is {o.CleanupMinutes})";
    }
}

/// <summary>
/// Idempotency-Key on every POST and PUT, whatever the route (ADR 19). The first request with a key runs;
/// its record (caller + key, a fingerprint of the request) joins the request's own unit of work through a
/// Marten session listener, so it commits with the writes or not at all, and its primary key lets exactly
/// one of several racing twins commit. The answer (2xx or 4xx, never 5xx) is added right after. A repeat
/// gets that answer replayed and writes nothing; a twin that lost the race at commit (rolled back whole)
/// waits for the winner's answer; the same key with another request is 422 idempotency-key-reused.
/// </summary>
public static class Idempotency
{
    public const string Header = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";
    public const int MaxKeyLength = 100;

    private static readonly AsyncLocal<Scope?> Current = new();

    public static IServiceCollection AddIdempotency(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<IdempotencyOptions>(configuration, IdempotencyOptions.Section, IdempotencyOptions.Rules);
        services.AddHostedService<ExpiredRecordCleanup>();
        return services.ConfigureMarten(opts =>
        {
            opts.Schema.For<IdempotencyRecord>().Duplicate(r => r.ExpiresAt);
            opts.Listeners.Add(new Enlistment());
        });
    }

    /// <summary>After authentication and authorisation: the caller is known, and refused requests never reach it.</summary>
    public static IApplicationBuilder UseIdempotencyKeys(this IApplicationBuilder app) => app.UseMiddleware<Middleware>();

    /// <summary>Pure: 1-100 visible ASCII characters (0x21-0x7E).</summary>
    public static bool IsValidKey(string? key) =>
        key is { Length: > 0 and <= MaxKeyLength } && key.All(c => c is >= '!' and <= '~');

    /// <summary>Pure: the record's id for a caller's key (hex SHA-256, so any key fits and none is stored in clear).</summary>
    public static string RecordId(string caller, string key) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{caller.Length}:{caller}\n{key}")));

    /// <summary>Pure: which answers are kept. 5xx never (a retry after an outage must run again); a 4xx decided by the rules, yes.</summary>
    public static bool Keeps(int status) => status is >= 200 and < 500;

    /// <summary>
    /// One request with a key, as the session listener sees it. The record joins the first unit of work the
    /// request saves with something in it; should that fail (the transaction rolled back), the next one.
    /// </summary>
    private sealed class Scope(IdempotencyRecord record)
    {
        private IDocumentSession? _enlistedIn;
        public IdempotencyRecord Record { get; } = record;
        public bool Open { get; set; } = true;
        public bool Enlisted { get; private set; }
        public bool Committed { get; private set; }

        public void BeforeSave(IDocumentSession session)
        {
            lock (this)
            {
                if (!Open || Committed || ReferenceEquals(_enlistedIn, session)) return;
                var changes = session.PendingChanges;
                if (!changes.Operations().Any() && !changes.Streams().Any()) return;
                _enlistedIn = session;
                Enlisted = true;
            }

            session.Insert(new IdempotencyRecord
            {
                Id = Record.Id, Request = Record.Request, Committed = true, CreatedAt = Record.CreatedAt, ExpiresAt = Record.ExpiresAt
            });
        }

        public void AfterCommit(IDocumentSession session)
        {
            lock (this)
            {
                if (ReferenceEquals(_enlistedIn, session)) Committed = true;
            }
        }
    }

    private sealed class Enlistment : DocumentSessionListenerBase
    {
        public override Task BeforeSaveChangesAsync(IDocumentSession session, CancellationToken token)
        {
            Current.Value?.BeforeSave(session);
            return Task.CompletedTask;
        }

        public override Task AfterCommitAsync(IDocumentSession session, IChangeSet commit, CancellationToken token)
        {
            Current.Value?.AfterCommit(session);
            return Task.CompletedTask;
        }
    }

    private enum Lookup { Run, RunUnrecorded, Answered }

    private sealed class Middleware(RequestDelegate next, IDocumentStore store, TimeProvider clock, IOptions<IdempotencyOptions> options)
    {
        public async Task InvokeAsync(HttpContext http)
        {
            var request = http.Request;
            // Only a route that takes this POST or PUT: an unknown route or method (404, 405) has nothing to remember.
            if (!(HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method)) ||
                http.GetEndpoint()?.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Contains(request.Method) != true ||
                !request.Headers.TryGetValue(Header, out var values))
            {
                await next(http);
                return;
            }

            var key = values.Count == 1 ? values[0] : null;
            if (!IsValidKey(key))
            {
                await Results.Problem(Problems.ValidationFailed(Header, $"must be 1 to {MaxKeyLength} visible ASCII characters, sent once"))
                    .ExecuteAsync(http);
                return;
            }

            var caller = http.User.FindFirstValue("sub") ?? http.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? "";
            var id = RecordId(caller, key!);
            var fingerprint = await FingerprintAsync(key!, request, http.RequestAborted);
            var waited = Stopwatch.StartNew();
            while (true)
            {
                switch (await LookUpAsync(http, id, fingerprint, waited))
                {
                    case Lookup.Answered:
                        return;
                    case Lookup.RunUnrecorded:
                        await next(http);
                        return;
                }

                var now = clock.GetUtcNow();
                var record = new IdempotencyRecord
                {
                    Id = id, Request = fingerprint, CreatedAt = now, ExpiresAt = now.AddHours(options.Value.RetentionHours)
                };
                // Lost to a twin whose commit came first: nothing of ours was written; wait for its answer.
                if (await RunAsync(http, record)) return;
                waited.Restart();
            }
        }

        /// <summary>Answers from the record when there is one; otherwise the request is to run.</summary>
        private async Task<Lookup> LookUpAsync(HttpContext http, string id, string fingerprint, Stopwatch waited)
        {
            var ct = http.RequestAborted;
            while (true)
            {
                IdempotencyRecord? record;
                await using (var session = store.QuerySession())
                    record = await session.LoadAsync<IdempotencyRecord>(id, ct);
                var now = clock.GetUtcNow();
                if (record is not null && record.ExpiresAt <= now)
                {
                    // Only while expired: a twin's fresh record, written meanwhile, stays.
                    await using var cleanup = store.LightweightSession();
                    cleanup.DeleteWhere<IdempotencyRecord>(r => r.Id == id && r.ExpiresAt <= now);
                    await cleanup.SaveChangesAsync(ct);
                    record = null;
                }

                if (record is null) return Lookup.Run;
                if (record.Request != fingerprint)
                {
                    await Results.Problem(Problems.Create(Problems.IdempotencyKeyReused, 422, "This Idempotency-Key was used for another request",
                        $"You sent this key with a different request within the last {options.Value.RetentionHours} hours, and nothing was done now. " +
                        "Use a new key for a new request.")).ExecuteAsync(http);
                    return Lookup.Answered;
                }

                if (record.Answer is { } answer)
                {
                    await ReplayAsync(http, answer);
                    return Lookup.Answered;
                }

                if (record.Withheld) return Lookup.RunUnrecorded;
                if (waited.ElapsedMilliseconds >= options.Value.WaitMilliseconds)
                {
                    await Results.Problem(Problems.Create(Problems.IdempotencyKeyInUse, 409, "The first request with this Idempotency-Key has no answer yet",
                        "The first request with this key was carried out, but its answer is not available: it is still being written, " +
                        "or the server stopped before it was. Nothing was done now. Read the result back rather than sending it again.")).ExecuteAsync(http);
                    return Lookup.Answered;
                }

                await Task.Delay(25, ct);
            }
        }

        /// <summary>Runs the request with its answer buffered. False when a twin committed first and this one must replay its answer.</summary>
        private async Task<bool> RunAsync(HttpContext http, IdempotencyRecord record)
        {
            var response = http.Response;
            var original = response.Body;
            using var buffer = new MemoryStream();
            var scope = new Scope(record);
            if (http.Request.Body.CanSeek) http.Request.Body.Position = 0;
            response.Body = buffer;
            Current.Value = scope;
            ExceptionDispatchInfo? failure = null;
            try
            {
                await next(http);
            }
            catch (Exception e) when (scope is { Enlisted: true, Committed: false })
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                scope.Open = false;
                Current.Value = null;
                response.Body = original;
            }

            if (failure is not null)
            {
                // The commit failed: on a twin's record (wait for its answer), or for a reason of its own (rethrown).
                if (!await TwinCommittedAsync(record, http.RequestAborted)) failure.Throw();
                Reset(response, original);
                return false;
            }

            if (scope is { Enlisted: true, Committed: false })
            {
                // The request's transaction rolled back: if a twin's commit is why, its answer is the one to give.
                if (await TwinCommittedAsync(record, http.RequestAborted))
                {
                    Reset(response, original, buffer);
                    return false;
                }
            }
            else if (Keeps(response.StatusCode))
            {
                await KeepAsync(record, scope.Committed, response, buffer.ToArray(), http.RequestAborted);
            }

            buffer.Position = 0;
            await buffer.CopyToAsync(original, http.RequestAborted);
            return true;
        }

        /// <summary>
        /// Adds the answer to the record: an update when the record committed with the request's writes; an
        /// insert when the request wrote nothing (a refusal, a read). An answer marked no-store is not kept.
        /// </summary>
        private async Task KeepAsync(IdempotencyRecord record, bool committed, HttpResponse response, byte[] body, CancellationToken ct)
        {
            record.Committed = committed;
            if (response.Headers.CacheControl.ToString().Contains("no-store", StringComparison.OrdinalIgnoreCase))
                record.Withheld = true;
            else
                record.Answer = new StoredAnswer(response.StatusCode, response.ContentType, response.Headers.Location.ToString() is { Length: > 0 } l ? l : null,
                    response.Headers.ETag.ToString() is { Length: > 0 } e ? e : null, body);

            await using var session = store.LightweightSession();
            if (committed) session.Store(record);
            else session.Insert(record);
            try
            {
                // Not the request's token: the answer is kept even when the client has gone, which is when it matters.
                await session.SaveChangesAsync(CancellationToken.None);
            }
            catch (DocumentAlreadyExistsException)
            {
                // A twin that wrote nothing either kept its answer first; this answer is as good, and nothing was written.
            }
        }

        private async Task<bool> TwinCommittedAsync(IdempotencyRecord record, CancellationToken ct)
        {
            await using var session = store.QuerySession();
            return await session.LoadAsync<IdempotencyRecord>(record.Id, ct) is { } twin && twin.Request == record.Request;
        }

        private static void Reset(HttpResponse response, Stream original, MemoryStream? buffer = null)
        {
            if (buffer is not null) response.Body = buffer;
            response.Clear();
            response.Body = original;
        }

        private static async Task ReplayAsync(HttpContext http, StoredAnswer answer)
        {
            var response = http.Response;
            response.StatusCode = answer.Status;
            if (answer.ContentType is not null) response.ContentType = answer.ContentType;
            if (answer.Location is not null) response.Headers.Location = answer.Location;
            if (answer.ETag is not null) response.Headers.ETag = answer.ETag;
            response.Headers[ReplayedHeader] = "true";
            response.ContentLength = answer.Body.Length;
            await response.Body.WriteAsync(answer.Body, http.RequestAborted);
        }

        /// <summary>
        /// What makes two requests the same: method, path, query, media type and body (hashed with the key). A form is read field by
        /// field and file by file, so a retry that draws a new multipart boundary is still the same request.
        /// </summary>
        private static async Task<string> FingerprintAsync(string key, HttpRequest request, CancellationToken ct)
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            void Add(string? text) => hash.AppendData(Encoding.UTF8.GetBytes($"{text?.Length ?? -1}:{text}\n"));
            // The key, which the database never holds, first: so nobody can confirm a guessed body (a NIK) from the hash.
            Add(key);
            Add(request.Method);
            Add(request.Path.Value);
            Add(request.QueryString.Value);
            // The media type and charset, not the multipart boundary, which a retry may draw anew.
            var parsed = MediaTypeHeaderValue.TryParse(request.ContentType, out var type) ? type : null;
            Add((parsed?.MediaType.Value ?? request.ContentType)?.ToLowerInvariant());
            Add(parsed?.Charset.Value?.ToLowerInvariant());

            if (request.HasFormContentType)
            {
                var form = await request.ReadFormAsync(ct);
                foreach (var field in form.OrderBy(f => f.Key, StringComparer.Ordinal))
                {
                    Add(field.Key);
                    foreach (var value in field.Value) Add(value);
                }

                foreach (var file in form.Files)
                {
                    Add(file.Name);
                    Add(file.FileName);
                    Add(file.ContentType);
                    await using var content = file.OpenReadStream();
                    await AppendAsync(hash, content, ct);
                }
            }
            else
            {
                request.EnableBuffering();
                await AppendAsync(hash, request.Body, ct);
                request.Body.Position = 0;
            }

            return Convert.ToHexStringLower(hash.GetHashAndReset());
        }

        private static async Task AppendAsync(IncrementalHash hash, Stream content, CancellationToken ct)
        {
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = await content.ReadAsync(chunk, ct)) > 0) hash.AppendData(chunk, 0, read);
        }
    }

    /// <summary>Deletes expired records now and then; a repeat also treats an expired record as gone when it meets one.</summary>
    private sealed class ExpiredRecordCleanup(IDocumentStore store, TimeProvider clock, IOptions<IdempotencyOptions> options,
        ILogger<ExpiredRecordCleanup> logger) : IHostedService
    {
        private readonly BackgroundLoop _loop = new(logger, "Idempotency record cleanup");

        public Task StartAsync(CancellationToken cancellationToken)
        {
            _loop.Start(TimeSpan.FromMinutes(options.Value.CleanupMinutes), async ct =>
            {
                var now = clock.GetUtcNow();
                await using var session = store.LightweightSession();
                session.DeleteWhere<IdempotencyRecord>(r => r.ExpiresAt <= now);
                await session.SaveChangesAsync(ct);
            });
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => _loop.StopAsync();
    }
}
