namespace Berth.ApiServer.Admission;

/// <summary>upstream ValidateNameFunc: prefix is true when validating a generateName.</summary>
internal delegate IReadOnlyList<string> NameValidator(string name, bool prefix);
