using System.Text.RegularExpressions;
using EnrolmentCases.Identity;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// Every route the API maps, with who may call it, written from product.md ("Identity and roles",
/// "Operations") and not read from the code's [Authorize] attributes: RouteAuthorisation proves the
/// code agrees with it, and fails when a mapped route is missing here or a line here maps to nothing.
/// HostileInputs sends each route's sample request, spoiled, so a route added here is attacked too.
/// <para>
/// A line is "METHOD /path/{placeholders}?query", the roles allowed, and for a POST or PUT a body that
/// the allowed role may send with success. Placeholders: {id} is a case (under /api/cases), an import
/// (under /api/imports) or a job (elsewhere); {code} a regency, {year} a year, {nik} a fresh NIK.
/// "ANY" is a route mapped for every method (health checks), called with GET.
/// </para>
/// </summary>
public static class Routes
{
    public sealed record Route(string Line, string[] Allowed, string? Body = null, string ContentType = "application/json")
    {
        public string Method => Line.Split(' ')[0];

        /// <summary>The route pattern as mapped, without the sample query.</summary>
        public string Pattern => QueryAt < 0 ? Target : Target[..QueryAt];

        public string Query => QueryAt < 0 ? "" : Target[(QueryAt + 1)..];

        private string Target => Line.Split(' ')[1];

        /// <summary>Where the sample query starts: the first '?' that does not mark an optional placeholder ({name?}).</summary>
        private int QueryAt => Regex.Match(Target, @"\?(?!\})").Index is var i && i > 0 ? i : -1;

        public bool Anonymous => Allowed.Length == 0;

        public bool TakesBody => Method is "POST" or "PUT";

        public Resource Id => !Pattern.Contains("{id}") ? Resource.None
            : Pattern.StartsWith("/api/cases/") ? Resource.Case
            : Pattern.StartsWith("/api/imports/") ? Resource.Import
            : Resource.Job;

        /// <summary>Method and pattern, the key endpoints are matched on.</summary>
        public string Key => $"{Method} {Pattern}";

        public override string ToString() => Key;
    }

    public enum Resource { None, Case, Import, Job }

    private static readonly string[] Anyone = [];
    private static readonly string[] Caseworkers = [Roles.Caseworker];
    private static readonly string[] CaseReaders = [Roles.Caseworker, Roles.Auditor];
    private static readonly string[] Planners = [Roles.Planner];
    private static readonly string[] CaseworkersAndPlanners = [Roles.Caseworker, Roles.Planner];
    private static readonly string[] ReconciliationReaders = [Roles.Caseworker, Roles.Planner, Roles.Auditor];
    private static readonly string[] Auditors = [Roles.Auditor];
    private static readonly string[] PlannersAndAuditors = [Roles.Planner, Roles.Auditor];
    private static readonly string[] AuditorsAndAdmins = [Roles.Auditor, Roles.Admin];
    private static readonly string[] Admins = [Roles.Admin];
    private static readonly string[] EveryRole = Roles.All;

    private const string Worker =
        """{"nik":"{nik}","fullName":"Siti Aminah","regencyCode":"17.04","district":"Kaur Selatan","village":"Padang Petron","occupation":"rubber tapper","phone":"081270001234","source":"P3KE"}""";

    public const string CsvHeader = "nik,fullName,regencyCode,district,village,occupation,phone,source\r\n";

    public const string StatusHeader = "kpj,nik,status,paidThrough,reportedOn\r\n";

    public static readonly Route[] All =
    [
        // Cases: caseworkers of the case's regency act; caseworkers and auditors read.
        new("POST /api/cases", Caseworkers, Worker),
        new("GET /api/cases?regency=17.04&stage=contacted&page=1&pageSize=50&lapsingBefore=2026-06-01&insurerStatus=inactive&drift=true&q=siti+padang", CaseReaders),
        new("GET /api/cases/{id}?version=1", CaseReaders),
        new("POST /api/cases/{id}/contact-attempts", Caseworkers, """{"channel":"visit","outcome":"reached","note":"ok","occurredAt":"2026-03-01T09:00:00+07:00"}"""),
        new("POST /api/cases/{id}/enrolment", Caseworkers, """{"membershipNumber":"12345678901","programmes":["JKK","JKM"],"declaredMonthlyIncome":1000000,"effectiveDate":"2026-03-01"}"""),
        new("POST /api/cases/{id}/subsidy", Caseworkers, """{"payer":"APBD_PROVINCE","budgetYear":2026,"startMonth":"2026-04","months":3}"""),
        new("POST /api/cases/{id}/premium-payments", Caseworkers, """{"month":"2026-03","amount":16800,"paidOn":"2026-03-01"}"""),
        new("POST /api/cases/{id}/closure", Caseworkers, """{"reason":"declined","note":"ok"}"""),
        new("POST /api/cases/{id}/reopening", Caseworkers, """{"note":"ok"}"""),
        new("GET /api/cases/{id}/history", CaseReaders),
        new("GET /api/lapse-risk?regency=17.04&withinDays=30&page=1&pageSize=50", CaseReaders),
        new("GET /api/lapse-risk/daily?regency=17.04&on=2026-03-02&page=1&pageSize=50", PlannersAndAuditors),
        new("POST /api/cases/{id}/corrections", Caseworkers, """{"fullName":"Siti A.","phone":"081270009999","reason":"typo in the village list"}"""),
        // Imports: the importer (a caseworker) and auditors follow them.
        new("POST /api/imports?listSource=P3KE&fileName=p3ke.csv", Caseworkers, CsvHeader, "text/csv"),
        new("GET /api/imports/{id}?rowsPage=1&rowsPageSize=100", CaseReaders),
        new("GET /api/imports/{id}/outcomes.csv", CaseReaders),
        new("GET /api/imports/{id}/outcomes.xlsx", CaseReaders),
        new("GET /api/imports/template.xlsx", Caseworkers),
        // Reconciliations: caseworkers and planners send the insurer's status file; they and auditors read the report.
        new("POST /api/reconciliations?fileName=status.csv", CaseworkersAndPlanners, StatusHeader, "text/csv"),
        new("GET /api/reconciliations/{id}?page=1&pageSize=100&finding=drift", ReconciliationReaders),
        // Aggregates: every role reads them; planners set targets and record allocations.
        new("GET /api/regencies", EveryRole),
        new("PUT /api/regencies/{code}/targets/{year}", Planners, """{"eligibleWorkers":100,"source":"BPS","note":"ok"}"""),
        new("GET /api/coverage?asOf=2026-03-01&basis=recorded", EveryRole),
        new("GET /api/coverage.xlsx?asOf=2026-03-01&basis=recorded", EveryRole),
        new("GET /api/coverage/{code}/timeline?from=2026-01&to=2026-03&basis=effective", EveryRole),
        new("GET /api/budgets?year=2026", EveryRole),
        new("GET /api/budgets.xlsx?year=2026", EveryRole),
        new("POST /api/budgets", Planners, """{"payer":"APBD_PROVINCE","year":2026,"amount":1000,"kind":"APBD","note":"ok"}"""),
        new("POST /api/budgets/adjustments", Planners, """{"payer":"APBD_PROVINCE","year":2026,"amount":-10,"reason":"a decree lowered the allocation"}"""),
        new("GET /api/subsidy-forecast?year=2026&targetCoverage=0.5&provinceShare=0.3", EveryRole),
        // Audit.
        new("GET /api/audit/verify", AuditorsAndAdmins),
        new("GET /api/audit/events?afterSequence=0&limit=10&reason=quarterly+archive", AuditorsAndAdmins),
        new("GET /api/audit/access-log?from=2026-03-01&to=2026-03-02&page=1&pageSize=50", Auditors),
        new("POST /api/audit/subject-access", Auditors, """{"nik":"{nik}"}"""),
        new("POST /api/audit/erasures", Admins, """{"nik":"{nik}","legalBasis":"UU 27/2022 art. 8","reference":"ORD-2026-001"}"""),
        new("POST /api/audit/replay-verification", AuditorsAndAdmins),
        new("GET /api/audit/replay-verification/{id}", AuditorsAndAdmins),
        // Operations.
        new("GET /api/operations/agents", Admins),
        // The web app's sign-in settings, read before anyone has signed in.
        new("GET /api/app-config", Anyone),
        new("ANY /health/live", Anyone),
        new("GET /health/ready", Anyone),
        new("GET /openapi/{documentName}.json", Anyone),
        new("GET /docs/{documentName?}", Anyone),
        new("GET /docs/scalar.js", Anyone),
        new("GET /docs/scalar.aspnetcore.js", Anyone),
        new("GET /docs/favicon.svg", Anyone),
        new("GET /problems", Anyone),
        new("GET /problems/{slug}", Anyone),
    ];

    /// <summary>The path with its placeholders filled: the id given, Kaur, 2026, the first document and problem type.</summary>
    public static string Path(this Route route, Guid id) => route.Pattern
        .Replace("{id}", id.ToString())
        .Replace("{code}", "17.04")
        .Replace("{year}", "2026")
        .Replace("{documentName}", "v1")
        .Replace("{documentName?}", "")
        .Replace("{slug}", "validation");

    public static string Url(this Route route, Guid id) => route.Query.Length == 0 ? route.Path(id) : $"{route.Path(id)}?{route.Query}";

    /// <summary>The sample body with a fresh NIK wherever it says {nik}.</summary>
    public static string? SampleBody(this Route route) => route.Body is null ? null : Regex.Replace(route.Body, "\\{nik\\}", _ => Niks.Next());
}
