using EnrolmentCases.Infrastructure;

namespace EnrolmentCases.Cases;

public static class Configuration
{
    /// <summary>Cases: one open case per NIK. The aggregate each command folds from its stream is CaseFold's (Folding/).</summary>
    public static IServiceCollection AddCases(this IServiceCollection services) =>
        services.ConfigureMarten(opts => opts.Schema.For<OpenCaseClaim>());

    /// <summary>
    /// Every command on an existing case first checks who may touch it, then the version it was
    /// decided on, and answers with the case's new version (CommandAccepted).
    /// </summary>
    public static WolverineHttpOptions AddCaseCommandSteps(this WolverineHttpOptions http)
    {
        static bool ChangesACase(HttpChain chain) => chain.Method.Method.GetParameters().Any(p => p.ParameterType == typeof(Case));
        http.AddMiddleware(typeof(CaseAccess), ChangesACase);
        http.AddMiddlewareByMessageType(typeof(ExpectedVersionCheck));
        http.ConfigureEndpoints(chain =>
        {
            if (ChangesACase(chain)) chain.Metadata.Produces<CommandAccepted>(200);
        });
        return http;
    }
}
