"""Views of the shop."""

import ast

from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.views import View
from rest_framework import permissions, viewsets
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.models import Feedback, Order, Product, Profile
from shop.serializers import OrderSerializer


@login_required
def search(request):
    found = Product.objects.filter(name=request.GET["q"])
    return JsonResponse({"names": [p.name for p in found]})


@login_required
def edit_profile(request, user_id):
    if user_id != request.user.id:
        return HttpResponseForbidden()
    profile = Profile.objects.get(user_id=user_id)
    profile.bio = request.POST["bio"]
    profile.save()
    return JsonResponse({"ok": True})


class AdminReportView(LoginRequiredMixin, UserPassesTestMixin, View):
    def test_func(self):
        return self.request.user.is_staff

    def get(self, request):
        return JsonResponse({"orders": Order.objects.count()})


class ExportView(APIView):
    permission_classes = (permissions.IsAdminUser,)

    def get(self, request):
        return Response({"orders": list(Order.objects.values())})


@api_view(["POST"])
@permission_classes([permissions.IsAuthenticated])
def calculate(request):
    return Response({"value": ast.literal_eval(request.data["expression"])})


@login_required
def feedback(request):
    Feedback.objects.create(user=request.user, text=request.POST["text"])
    return HttpResponse(status=204)


class OrderViewSet(viewsets.ModelViewSet):
    queryset = Order.objects.all()
    serializer_class = OrderSerializer
    permission_classes = (permissions.IsAuthenticated,)

    def get_queryset(self):
        return Order.objects.filter(owner=self.request.user)
