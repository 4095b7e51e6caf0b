using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace EnrolmentCases.Infrastructure;

/// <summary>
/// Completes the OpenAPI document: the bearer scheme, the problem details schema, and the error
/// responses every operation can give, so clients can rely on the document alone.
/// </summary>
internal sealed class ApiDocument : IOpenApiDocumentTransformer, IOpenApiOperationTransformer, IOpenApiSchemaTransformer
{
    private const string Bearer = "Bearer";
    private const string Problem = "Problem";

    /// <summary>The API's parts in the order a reader meets them, each tag named on its endpoints.</summary>
    private static readonly (string Name, string Description)[] Parts =
    [
        ("Cases", "A worker's case from identification to enrolment and closure: caseworkers of the worker's regency."),
        ("Subsidies and payments", "A regional budget takes over the premium; each month's premium is recorded."),
        ("Imports", "Worker lists (P3KE, DTSEN, village lists) opened as cases in bulk."),
        ("Reconciliations", "BPJS Ketenagakerjaan's status files matched to cases: where our record and the insurer's disagree."),
        ("Coverage and targets", "Coverage per regency against the planners' targets, now or as of a date: aggregates only."),
        ("Budgets and forecast", "Regional budget allocations, what is committed and paid, and what a target would cost."),
        ("Audit", "Every change with who, when and why; the tamper-evidence chain; subject access."),
        ("Operations", "How the API processes share the background work: admins."),
        ("Reference", "The problem types every error answers with.")
    ];

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        document.Info.Title = "Enrolment Cases API";
        document.Info.Description =
            "Case management for enrolling vulnerable informal workers in BPJS Ketenagakerjaan and subsidising their premiums " +
            "from the regional budget. Errors are RFC 9457 problem details; GET /problems lists their types.";
        document.Tags = new HashSet<OpenApiTag>(Parts.Select(p => new OpenApiTag { Name = p.Name, Description = p.Description }));
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[Bearer] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "Development tokens: ./run.sh -- token --role caseworker --regency 17.04"
        };
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[Problem] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "RFC 9457 problem details. `type` ends in a stable slug; see GET /problems.",
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "e.g. /problems/validation" },
                ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
                ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["errors"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Description = "validation: field name -> messages",
                    AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } }
                },
                ["existingCaseId"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid", Description = "duplicate-case, when the caller may see that case" },
                ["stage"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "invalid-transition" },
                ["currentVersion"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Description = "concurrency-conflict" },
                ["remaining"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Description = "budget-exceeded" }
            }
        };
        return Task.CompletedTask;
    }

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var endpoint = context.Description.ActionDescriptor.EndpointMetadata;
        var anonymous = endpoint.OfType<IAllowAnonymous>().Any();
        var method = context.Description.HttpMethod ?? "GET";
        var path = context.Description.RelativePath ?? "";
        var document = context.Document;

        operation.Responses ??= new OpenApiResponses();
        void Add(int status, string description)
        {
            var key = status.ToString();
            var response = new OpenApiResponse
            {
                Description = description,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference(Problem, document) }
                }
            };
            operation.Responses[key] = response;
        }

        if (!anonymous)
        {
            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Bearer, document)] = [] });
            Add(401, "Missing, expired or invalid bearer token (unauthorized)");
            Add(403, "The token's role does not allow this (forbidden)");
        }

 // Wolverine lists a 200 for endpoints returning IResult even when they answer 201.
        if (operation.Responses.ContainsKey("201")) operation.Responses.Remove("200");
        if (!path.Contains('{')) operation.Responses.Remove("404");

        if (method != "GET" || path.Contains("api/cases") && method == "GET" && context.Description.ParameterDescriptions.Any(p => p.Source.Id == "Query"))
            Add(400, "Malformed JSON or invalid fields (validation)");
        if (path.Contains('{')) Add(404, "Unknown id, or outside the caller's regencies (not-found)");
        if (method == "POST" && path.StartsWith("api/cases"))
            Add(409, "duplicate-case, invalid-transition or concurrency-conflict");
        if (method is "POST" or "PUT")
        {
            Add(415, "The body must be application/json (unsupported-media-type)");
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = Idempotency.Header,
                In = ParameterLocation.Header,
                Description = "1-100 visible ASCII characters. A repeat with the same key (same caller, within 24 hours) gets the " +
                              "first answer and writes nothing; the same key with another request is idempotency-key-reused (422).",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = Idempotency.MaxKeyLength, Pattern = "^[!-~]+$" }
            });
            Add(422, "This Idempotency-Key came with another request before (idempotency-key-reused)");
            if (!operation.Responses.ContainsKey("409"))
                Add(409, "The first request with this Idempotency-Key has no answer yet (idempotency-key-in-use)");
        }

        Add(429, "Too many requests (rate-limited)");
        Add(500, "Unexpected error; nothing was saved (server-error)");
        if (!anonymous) Add(503, "The database cannot be reached; retry after the Retry-After delay (service-unavailable)");
        return Task.CompletedTask;
    }

    /// <summary>
    /// Command members are nullable in C# only so that a missing field reaches validation; in the
    /// contract a required member is never null.
    /// </summary>
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        if (schema.Required is not { Count: > 0 } required || schema.Properties is null) return Task.CompletedTask;
        foreach (var name in required)
        {
            if (schema.Properties.TryGetValue(name, out var property) && property is OpenApiSchema { Type: { } type } concrete)
                concrete.Type = type & ~JsonSchemaType.Null;
        }

        return Task.CompletedTask;
    }
}
