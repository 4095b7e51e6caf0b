using System.Text.Json.Serialization.Metadata;

namespace EnrolmentCases.Infrastructure;

/// <summary>
/// A member a read model stores for the application's own queries (an index column, a value kept
/// to evolve the next one) that is no business of an API client: HTTP responses leave it out.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class NotInResponsesAttribute : Attribute
{
    /// <summary>The System.Text.Json modifier that drops such members from the API's JSON (and so from its OpenAPI schemas).</summary>
    public static void Modify(JsonTypeInfo type)
    {
        if (type.Kind != JsonTypeInfoKind.Object) return;
        for (var i = type.Properties.Count - 1; i >= 0; i--)
        {
            if (type.Properties[i].AttributeProvider?.IsDefined(typeof(NotInResponsesAttribute), true) == true)
                type.Properties.RemoveAt(i);
        }
    }
}
