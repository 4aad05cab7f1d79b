namespace Berth.ApiServer.Http.Protobuf;

/// <summary>A request body that is not valid protobuf for the message it should hold; the text is what Go's
/// generated unmarshalling code says for the same fault ("unexpected EOF", "proto: integer overflow", ...).</summary>
internal sealed class ProtobufFormatException(string message) : Exception(message);
