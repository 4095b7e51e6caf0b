using System.Collections;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EnrolmentCases.Infrastructure;

/// <summary>
/// No log line carries a full NIK. NIKs reach logs in ways no single call site controls: a duplicate
/// claim's key in PostgreSQL's error detail, the parameters Marten writes beside a failed command, a
/// query string, a framework's debug output. So every logger the host hands out masks any run of
/// exactly 16 digits to its first 6 (the region of registration) and asterisks, in the message, the
/// structured values, the scopes and the exception, before any provider sees them. A search's free text
/// (the query parameter q: names, villages) is masked whole, wherever a URL or query string is logged.
/// </summary>
public static partial class LogRedaction
{
    [GeneratedRegex(@"(?<!\d)(\d{6})\d{10}(?!\d)")]
    private static partial Regex SixteenDigits();

    [GeneratedRegex(@"(?<=[?&]q=)[^&#\s""]+", RegexOptions.IgnoreCase)]
    private static partial Regex SearchText();

    public static string Mask(string text) => SearchText().Replace(SixteenDigits().Replace(text, "$1**********"), "***");

    public static ILoggingBuilder RedactNiks(this ILoggingBuilder logging)
    {
        logging.Services.Replace(ServiceDescriptor.Singleton<ILoggerFactory, RedactingLoggerFactory>());
        return logging;
    }

    /// <summary>The host's logger factory (every provider, filter and scope as configured), handing out masking loggers.</summary>
    private sealed class RedactingLoggerFactory(
        IEnumerable<ILoggerProvider> providers,
        IOptionsMonitor<LoggerFilterOptions> filters,
        IOptions<LoggerFactoryOptions> options,
        IExternalScopeProvider? scopes = null) : ILoggerFactory
    {
        private readonly LoggerFactory _inner = new(providers, filters, options, scopes);

        public ILogger CreateLogger(string categoryName) => new RedactingLogger(_inner.CreateLogger(categoryName));

        public void AddProvider(ILoggerProvider provider) => _inner.AddProvider(provider);

        public void Dispose() => _inner.Dispose();
    }

    private sealed class RedactingLogger(ILogger inner) : ILogger
    {
        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => state is IEnumerable<KeyValuePair<string, object?>>
            ? inner.BeginScope(new RedactedState(state))
            : inner.BeginScope(Mask(state.ToString() ?? ""));

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!inner.IsEnabled(logLevel)) return;
            var message = Mask(formatter(state, exception));
            inner.Log(logLevel, eventId, new RedactedState(state, message), exception is null ? null : new RedactedException(exception),
                static (s, _) => s.ToString());
        }
    }

    /// <summary>A log state or scope with its values masked, read lazily: a scope nothing is written under costs one allocation.</summary>
    private sealed class RedactedState(object? state, string? message = null) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private IReadOnlyList<KeyValuePair<string, object?>>? _values;

        private IReadOnlyList<KeyValuePair<string, object?>> Values => _values ??= state is IEnumerable<KeyValuePair<string, object?>> pairs
            ? pairs.Select(p => new KeyValuePair<string, object?>(p.Key, MaskValue(p.Value))).ToList()
            : [];

        public int Count => Values.Count;

        public KeyValuePair<string, object?> this[int index] => Values[index];

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => Values.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => message ?? Mask(state?.ToString() ?? "");

        private static object? MaskValue(object? value) => value switch
        {
            null or bool or int or short or byte or decimal or double or float or Guid or DateTime or DateTimeOffset or TimeSpan or Enum => value,
            string text => Mask(text),
            _ => Mask(value.ToString() ?? "")
        };
    }

    /// <summary>An exception as providers print it (type, message, stack, inner exceptions), masked.</summary>
    private sealed class RedactedException(Exception original) : Exception(Mask(original.Message))
    {
        public override string? StackTrace => original.StackTrace;

        public override string ToString() => Mask(original.ToString());
    }
}
